"""Bootstrap intervals: how far a small set's score could move with other images of the same kind."""
from __future__ import annotations

import numpy as np

from .. import ROCK
from ..learn.metrics import per_class_iou


def bootstrap_intervals(image_cms: dict, rounds: int = 1000, level: float = 0.95, seed: int = 0,
                        groups=None, unit: str = "image") -> dict | None:
    """How far the set's rock IoU and mIoU could move with other images of the same kind.

    A set of 21 real frames gives one number, but which frames were labelled is itself a draw:
    resampling the images with replacement (`rounds` times, the same draws for every method) and
    pooling each draw's confusion matrices gives percentile intervals for each method, and for
    the first method's rock IoU minus each other's (paired, so a shared hard image cancels).
    `image_cms` maps a method name to its (images, C, C) per-image matrices. None under 2 units.
    Images count as independent unless `groups` (one key per image, e.g. its rock layout) says
    which belong together: then whole groups are resampled, as frames of one layout rise and fall
    together, and `unit` names what a group is in the output.
    """
    names = list(image_cms)
    stacks = [np.asarray(image_cms[n], np.float64) for n in names]
    n = len(stacks[0]) if stacks else 0
    if groups is None:
        member, unit = np.arange(n), "image"
    else:
        if len(groups) != n:
            raise ValueError(f"{len(groups)} group keys for {n} images")
        member = np.unique(np.asarray(groups), return_inverse=True)[1].ravel()
    units = int(member.max()) + 1 if n else 0
    if units < 2:
        return None
    draws = np.random.default_rng(seed).integers(0, units, (rounds, units))
    drawn = np.zeros((rounds, units))
    np.add.at(drawn, (np.arange(rounds)[:, None], draws), 1.0)
    weights = drawn[:, member]  # each image counts as often as its group was drawn
    lo, hi = 50 * (1 - level), 50 * (1 + level)

    def interval(x):
        x = x[np.isfinite(x)]
        return [round(float(np.percentile(x, lo)), 6), round(float(np.percentile(x, hi)), 6)] if x.size else None

    rock, out = {}, {"rounds": rounds, "level": level, "images": n, "unit": unit, "units": units}
    for name, stack in zip(names, stacks):
        iou = per_class_iou(np.einsum("rn,nij->rij", weights, stack))  # (rounds, C)
        present = np.isfinite(iou).any(1)
        miou = np.full(rounds, np.nan)
        miou[present] = np.nanmean(iou[present], axis=1)
        rock[name] = iou[:, ROCK]
        out[name] = {"rock_iou": interval(rock[name]), "miou": interval(miou)}
    for name in names[1:]:
        out[f"{names[0]}_minus_{name}_rock_iou"] = interval(rock[names[0]] - rock[name])
    return out
