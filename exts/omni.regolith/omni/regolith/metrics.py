"""Segmentation metrics from one confusion matrix accumulated over a whole set.

Per-image IoUs averaged together over-weight small, empty or rock-free frames; summing pixel
counts over the set first and dividing once gives the standard (dataset-level) IoU. Pixels whose
target is 255 (ignore) never count. Rows of the matrix are the target class, columns the
prediction. numpy only; torch tensors are accepted and counted on their own device.
"""
from __future__ import annotations

import math

import numpy as np

from . import CLASS_NAMES, IGNORE_ID, ROCK

NUM_CLASSES = len(CLASS_NAMES)


def confusion_matrix(target, pred, num_classes: int = NUM_CLASSES, ignore: int = IGNORE_ID) -> np.ndarray:
    """(num_classes, num_classes) int64 pixel counts, rows = target, columns = prediction."""
    if hasattr(target, "detach"):  # torch: count on the tensor's device, copy back 9 numbers
        return _confusion_torch(target, pred, num_classes, ignore)
    target = np.asarray(target)
    pred = np.asarray(pred)
    if target.shape != pred.shape:
        raise ValueError(f"target {target.shape} and prediction {pred.shape} differ in shape")
    t = target.ravel().astype(np.int64)
    p = pred.ravel().astype(np.int64)
    keep = t != ignore
    t, p = t[keep], p[keep]
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"target holds class ids outside 0..{num_classes - 1} and {ignore}")
    if p.size and (p.min() < 0 or p.max() >= num_classes):
        raise ValueError(f"prediction holds class ids outside 0..{num_classes - 1}")
    return np.bincount(t * num_classes + p, minlength=num_classes**2).reshape(num_classes, num_classes)


def _confusion_torch(target, pred, num_classes, ignore):
    import torch

    if target.shape != pred.shape:
        raise ValueError(f"target {tuple(target.shape)} and prediction {tuple(pred.shape)} differ in shape")
    t = target.reshape(-1).long()
    p = pred.reshape(-1).long().to(t.device)
    keep = t != ignore
    t, p = t[keep], p[keep]
    bad = ((t < 0) | (t >= num_classes) | (p < 0) | (p >= num_classes)).any()
    if bool(bad):
        raise ValueError(f"target or prediction holds class ids outside 0..{num_classes - 1} and {ignore}")
    counts = torch.bincount(t * num_classes + p, minlength=num_classes**2)
    return counts.cpu().numpy().astype(np.int64).reshape(num_classes, num_classes)


class ConfusionMatrix:
    """Running confusion matrix: `update` per image or batch, read the metrics once at the end."""

    def __init__(self, num_classes: int = NUM_CLASSES, ignore: int = IGNORE_ID):
        self.num_classes = num_classes
        self.ignore = ignore
        self.matrix = np.zeros((num_classes, num_classes), np.int64)

    def update(self, target, pred) -> "ConfusionMatrix":
        self.matrix += confusion_matrix(target, pred, self.num_classes, self.ignore)
        return self

    def summary(self, class_names=None) -> dict:
        return summarize(self.matrix, class_names)


def per_class_iou(cm: np.ndarray) -> np.ndarray:
    """IoU per class; nan for a class absent from both target and prediction (no evidence).
    A stack of matrices (..., C, C) gives one row of IoUs per matrix."""
    cm = np.asarray(cm, np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    union = cm.sum(-2) + cm.sum(-1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)


def mean_iou(cm: np.ndarray) -> float:
    """Mean IoU over the classes present in target or prediction; nan if there are none."""
    iou = per_class_iou(cm)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else math.nan


def pixel_accuracy(cm: np.ndarray) -> float:
    """Share of non-ignored pixels predicted right; nan when no pixel counted."""
    cm = np.asarray(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else math.nan


def _finite_or_none(x: float):
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def summarize(cm: np.ndarray, class_names=None) -> dict:
    """JSON-ready metrics; nan (a class never seen) becomes null so the file stays valid JSON."""
    names = class_names or CLASS_NAMES
    cm = np.asarray(cm, np.int64)
    iou = per_class_iou(cm)
    return {
        "per_class_iou": {names[i]: _finite_or_none(v) for i, v in enumerate(iou)},
        "miou": _finite_or_none(mean_iou(cm)),
        "rock_iou": _finite_or_none(iou[ROCK]) if ROCK < len(iou) else None,
        "pixel_accuracy": _finite_or_none(pixel_accuracy(cm)),
        "pixels": int(cm.sum()),
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_axes": "rows: target class id, columns: predicted class id",
    }


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
