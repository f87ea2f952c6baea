"""Segmentation metrics from one confusion matrix accumulated over a whole set.

Per-image IoUs averaged together over-weight small, empty or rock-free frames; summing pixel
counts over the set first and dividing once gives the standard (dataset-level) IoU. Pixels whose
target is 255 (ignore) never count. Rows of the matrix are the target class, columns the
prediction. numpy only; torch tensors are accepted and counted on their own device.
"""
from __future__ import annotations

import math

import numpy as np

from .. import CLASS_NAMES, IGNORE_ID, ROCK

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
