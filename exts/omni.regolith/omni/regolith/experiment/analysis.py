"""From per-image counts of every (arm, seed) to each arm's reading against the reference.

Two sources of noise, reported apart: which images were scored (a bootstrap over the set's
images, rock layouts on synthetic sets, the same draws for every run) and which training seed
ran (the spread over seeds). The interval is that of the mean-over-seeds difference, seeds
paired by index (seed k of an arm against seed k of the reference); the per-seed differences
come with it. "clear" needs the interval off zero and every seed pair agreeing in sign.
"""
from __future__ import annotations

import numpy as np

from ..evaluate.bootstrap import percentile_interval, resample_weights, weighted_sums
from ..evaluate.counts import metrics_for, values
from ..learn.sparse import direction


def headline(kind: str, groups) -> tuple:
    """What an experiment reads per set: rock IoU on dense masks; recall and non-rock called rock on sparse;
    and on both the predicted rock share, since a model that floods rock scores high on sparse recall."""
    read = ("rock_iou",) if kind == "dense" else ("rock_recall", *(f"{g}_as_rock" for g in groups))
    return (*read, "rock_share")


def _counts(board: dict, set_name: str):
    entry = next((s for s in board["sets"] if s["name"] == set_name), None)
    if entry is None:
        return None, None
    method = next(iter(entry["per_image"]["counts"]))  # one model per run's scoreboard
    return entry, entry["per_image"]["counts"][method]


def verdict(mean: float, interval, per_seed: list, metric: str) -> tuple[str, str]:
    """("clear" | "lean" | "noise" | "none", words) for a mean-over-seeds difference."""
    if mean is None:
        return "none", "no evidence (undefined on this set)"
    if not interval:
        return "none", "no interval (the set holds fewer than 2 images or rock layouts to resample)"
    if interval[0] <= 0 <= interval[1]:
        return "noise", "within noise"
    sign = np.sign(mean)
    d = direction(metric)
    way = "" if d == 0 else (" (better)" if sign * d > 0 else " (worse)")
    seeds = [x for x in per_seed if x is not None]
    if seeds and all(np.sign(x) == sign for x in seeds):
        return "clear", f"clear{way}"
    agree = sum(np.sign(x) == sign for x in seeds)
    return "lean", f"leans{way}, but only {agree} of {len(seeds)} seeds agree"


def _arm_values(tables: dict, metric_fns: dict, metric: str) -> dict:
    out = {}
    for arm, runs in tables.items():
        seeds = [values(t, {metric: metric_fns[metric]})[metric] for t in runs]
        finite = [x for x in seeds if x is not None]
        out[arm] = {"seeds": seeds, "mean": round(float(np.mean(finite)), 6) if finite else None,
                    "sd": round(float(np.std(finite, ddof=1)), 6) if len(finite) > 1 else None}
    return out


def _versus(tables: dict, reference: str, fn, metric: str, weights) -> dict:
    out = {}
    ref_runs = tables[reference]
    for arm, runs in tables.items():
        if arm == reference:
            continue
        k = min(len(runs), len(ref_runs))
        per_seed = [values(runs[i], {"m": fn})["m"] for i in range(k)]
        per_ref = [values(ref_runs[i], {"m": fn})["m"] for i in range(k)]
        diffs = [None if a is None or b is None else round(a - b, 6) for a, b in zip(per_seed, per_ref)]
        finite = [d for d in diffs if d is not None]
        mean = round(float(np.mean(finite)), 6) if finite else None
        interval = None
        if weights is not None and k:
            draws = np.mean([fn(weighted_sums(runs[i], weights)) - fn(weighted_sums(ref_runs[i], weights))
                             for i in range(k)], axis=0)
            interval = percentile_interval(draws)
        kind, words = verdict(mean, interval, diffs, metric)
        out[arm] = {"mean": mean, "interval": interval, "per_seed": diffs,
                    "seed_sd": round(float(np.std(finite, ddof=1)), 6) if len(finite) > 1 else None,
                    "verdict": kind, "reading": words}
    return out


def analyse(boards: dict, baseline: dict | None, reference: str, rounds: int = 1000) -> dict:
    """`boards`: arm -> [scoreboard metrics.json per seed]; the result is the experiment's `sets`."""
    first = boards[reference][0]
    sets = []
    for entry in first["sets"]:
        name, kind, groups = entry["name"], entry["kind"], entry["non_rock_groups"]
        tables = {arm: [_counts(b, name)[1] for b in runs] for arm, runs in boards.items()}
        fns = metrics_for(kind, groups)
        n = len(entry["per_image"]["ids"])
        drawn = resample_weights(n, entry["per_image"].get("groups"), rounds)
        weights, info = drawn if drawn else (None, {"images": n, "unit": "image", "units": n})
        base_entry, base_counts = _counts(baseline, name) if baseline else (None, None)
        out = {"name": name, "kind": kind, "synthetic": entry["synthetic"], **info, "metrics": {}}
        for metric in headline(kind, groups):
            out["metrics"][metric] = {
                "arms": _arm_values(tables, fns, metric),
                "baseline": values(base_counts, {metric: fns[metric]})[metric] if base_counts else None,
                "vs_reference": _versus(tables, reference, fns[metric], metric, weights)}
        sets.append(out)
    return sets
