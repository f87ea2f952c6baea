"""Bootstrap intervals: how far a small set's score could move with other images of the same kind.

A set of 21 real frames gives one number, but which frames were labelled is itself a draw:
resampling the images with replacement (`rounds` times, the same draws for every method) and
pooling each draw's counts gives percentile intervals for each method, and for differences
between methods (paired: a hard image is hard for both, and cancels). Images count as
independent unless `groups` (one key per image, e.g. its rock layout) says which belong
together: then whole groups are resampled, as frames of one layout rise and fall together.
"""
from __future__ import annotations

import numpy as np

from .. import ROCK
from ..learn.metrics import per_class_iou


def resample_weights(n: int, groups=None, rounds: int = 1000, seed: int = 0):
    """(weights (rounds, n): how often each image is drawn, info) or None under 2 units.

    `info` says what was resampled: {"images", "unit", "units"} (unit "image" or "layout")."""
    if groups is None:
        member, unit = np.arange(n), "image"
    else:
        if len(groups) != n:
            raise ValueError(f"{len(groups)} group keys for {n} images")
        member, unit = np.unique(np.asarray(groups), return_inverse=True)[1].ravel(), "layout"
    units = int(member.max()) + 1 if n else 0
    if units < 2:
        return None
    draws = np.random.default_rng(seed).integers(0, units, (rounds, units))
    drawn = np.zeros((rounds, units))
    np.add.at(drawn, (np.arange(rounds)[:, None], draws), 1.0)
    return drawn[:, member], {"images": n, "unit": unit, "units": units}


def percentile_interval(x, level: float = 0.95):
    """[lo, hi] of the finite draws, or None if there are none."""
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    if not x.size:
        return None
    lo, hi = 50 * (1 - level), 50 * (1 + level)
    return [round(float(np.percentile(x, lo)), 6), round(float(np.percentile(x, hi)), 6)]


def weighted_sums(table: dict, weights) -> dict:
    """Per-image count columns -> their sums under each draw's weights: col -> (rounds,)."""
    return {k: weights @ np.asarray(v, np.float64) for k, v in table.items()}


def paired_bootstrap(tables: dict, metrics: dict, pairs=(), groups=None, rounds: int = 1000,
                     level: float = 0.95, seed: int = 0) -> dict | None:
    """Intervals of every metric for every method, and of differences `a - b` for `pairs`.

    `tables` maps a method to its per-image counts {column: (images,) array}; `metrics` maps a
    name to a function of summed columns (see learn.sparse.ratio). None under 2 units."""
    names = list(tables)
    n = len(next(iter(tables[names[0]].values()))) if names and tables[names[0]] else 0
    drawn = resample_weights(n, groups, rounds, seed)
    if drawn is None:
        return None
    weights, info = drawn
    values = {m: {k: f(weighted_sums(tables[m], weights)) for k, f in metrics.items()} for m in names}
    out = {"rounds": rounds, "level": level, **info,
           "methods": {m: {k: percentile_interval(v, level) for k, v in values[m].items()} for m in names},
           "differences": {}}
    for a, b in pairs:
        out["differences"][f"{a} - {b}"] = {k: percentile_interval(values[a][k] - values[b][k], level)
                                            for k in metrics}
    return out


def bootstrap_intervals(image_cms: dict, rounds: int = 1000, level: float = 0.95, seed: int = 0,
                        groups=None, unit: str = "image") -> dict | None:
    """Rock IoU and mIoU intervals of each method from per-image confusion matrices.

    `image_cms` maps a method name to its (images, C, C) matrices; the first method's rock IoU
    minus each other's comes paired. None under 2 units. `unit` names a group when `groups` given.
    """
    names = list(image_cms)
    stacks = [np.asarray(image_cms[n], np.float64) for n in names]
    drawn = resample_weights(len(stacks[0]) if stacks else 0, groups, rounds, seed)
    if drawn is None:
        return None
    weights, info = drawn
    out = {"rounds": rounds, "level": level, **info, "unit": unit if groups is not None else "image"}
    rock = {}
    for name, stack in zip(names, stacks):
        iou = per_class_iou(np.einsum("rn,nij->rij", weights, stack))  # (rounds, C)
        present = np.isfinite(iou).any(1)
        miou = np.full(rounds, np.nan)
        miou[present] = np.nanmean(iou[present], axis=1)
        rock[name] = iou[:, ROCK]
        out[name] = {"rock_iou": percentile_interval(rock[name], level), "miou": percentile_interval(miou, level)}
    for name in names[1:]:
        out[f"{names[0]}_minus_{name}_rock_iou"] = percentile_interval(rock[names[0]] - rock[name], level)
    return out
