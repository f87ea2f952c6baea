"""Per-image counts and the set metrics made from them, for dense masks and sparse labels alike.

Every metric is a function of counts summed over a set's images (IoU included: true positives
over the union, both sums), so one bootstrap resamples images for any metric, and the set value
is the same pooled figure `regolith evaluate` has always reported (not a mean of per-image IoUs).
"""
from __future__ import annotations

import numpy as np

from .. import CLASS_NAMES, IGNORE_ID, ROCK
from ..learn.sparse import ratio, sparse_counts, sparse_metrics

N = len(CLASS_NAMES)


def dense_counts(pred: np.ndarray, target: np.ndarray) -> dict:
    """Confusion counts `cm_<true>_<pred>` (target 255 never counts), predicted rock and pixels."""
    t, p = np.asarray(target).ravel().astype(np.int64), np.asarray(pred).ravel().astype(np.int64)
    keep = t != IGNORE_ID
    cm = np.bincount(t[keep] * N + p[keep], minlength=N * N).reshape(N, N)
    out = {f"cm_{i}_{j}": int(cm[i, j]) for i in range(N) for j in range(N)}
    out.update({"pred_rock": int((p == ROCK).sum()), "pixels": int(p.size)})
    return out


def iou(k: int):
    def metric(s):
        tp = np.asarray(s[f"cm_{k}_{k}"], np.float64)
        union = sum(np.asarray(s[f"cm_{k}_{j}"], np.float64) + s[f"cm_{j}_{k}"] for j in range(N)) - tp
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)
    return metric


def mean_iou(s):
    ious = np.stack([np.asarray(iou(k)(s), np.float64) for k in range(N)])
    present = np.isfinite(ious)
    with np.errstate(invalid="ignore"):
        return np.where(present.any(0), np.nansum(ious, 0) / np.maximum(present.sum(0), 1), np.nan)


def _sum_of(prefix_cols):
    def columns(s):
        return sum(np.asarray(s[c], np.float64) for c in prefix_cols)
    return columns


def dense_metrics() -> dict:
    """name -> metric function for sets with dense masks (real ALLD frames, synthetic datasets)."""
    true_rock = _sum_of([f"cm_{ROCK}_{j}" for j in range(N)])
    pred_rock = _sum_of([f"cm_{i}_{ROCK}" for i in range(N)])

    def recall(s):
        return ratio("tp", "den")({"tp": s[f"cm_{ROCK}_{ROCK}"], "den": true_rock(s)})

    def flood(s):
        return ratio("num", "den")({"num": pred_rock(s), "den": true_rock(s)})

    return {"rock_iou": iou(ROCK), "miou": mean_iou, "rock_recall": recall, "rock_flood": flood,
            "rock_share": ratio("pred_rock", "pixels")}


def metrics_for(kind: str, groups=()) -> dict:
    return dense_metrics() if kind == "dense" else sparse_metrics(groups)


def counts_for(kind: str, pred, target) -> dict:
    return dense_counts(pred, target) if kind == "dense" else sparse_counts(pred, target)


def table(rows: list[dict]) -> dict:
    """Per-image count dicts -> {column: [per-image values]} (a column missing in a row counts 0)."""
    keys = sorted({k for r in rows for k in r})
    return {k: [int(r.get(k, 0)) for r in rows] for k in keys}


def values(tab: dict, metrics: dict) -> dict:
    """Set values of each metric from a count table (None where undefined)."""
    sums = {k: float(np.sum(v)) for k, v in tab.items()}
    out = {}
    for name, f in metrics.items():
        x = float(f(sums))
        out[name] = round(x, 6) if np.isfinite(x) else None
    return out


HEADLINE = {"dense": ("rock_iou", "miou", "rock_recall", "rock_flood"),
            "sparse": ("rock_recall", "objects_found", "rock_share")}


def headline(kind: str, groups=()) -> tuple:
    """The metrics a scoreboard table shows for a set of this kind (the rest are in metrics.json)."""
    if kind == "dense":
        return HEADLINE["dense"]
    return HEADLINE["sparse"][:2] + tuple(f"{g}_as_rock" for g in groups) + HEADLINE["sparse"][2:]

