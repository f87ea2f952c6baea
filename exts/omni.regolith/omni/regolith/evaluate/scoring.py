"""Scoring one image set: one confusion matrix over all its pixels, for the model and the baseline.

Sets with masks get IoUs from that matrix (ignore = 255 never counts); sets without masks get
only the mask-free proxies (class shares, the horizon check), never an accuracy number.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import CLASS_NAMES, IGNORE_ID, ROCK, SKY
from ..errors import ModelError
from ..learn.metrics import ConfusionMatrix, per_class_iou, summarize
from .bootstrap import bootstrap_intervals
from .images import ImageSet, find_image_set, load_sample

NAMES = [CLASS_NAMES[k] for k in sorted(CLASS_NAMES)]


@dataclass
class SetResult:
    image_set: ImageSet
    metrics: dict = field(default_factory=dict)


# -- scoring -------------------------------------------------------------------------------------
def _r(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def horizon(pred: np.ndarray) -> tuple[int, int, int]:
    """(sky px, sky px below the first non-sky px of their column, sky px not connected to the top)."""
    from scipy import ndimage

    sky = pred == SKY
    n = int(sky.sum())
    if not n:
        return 0, 0, 0
    ground = ~sky
    first = np.where(ground.any(0), ground.argmax(0), pred.shape[0])
    below = int((sky & (np.arange(pred.shape[0])[:, None] > first[None, :])).sum())
    labels, _ = ndimage.label(sky, np.ones((3, 3), bool))
    top = np.unique(labels[0])
    attached = int(np.isin(labels, top[top > 0]).sum())
    return n, below, n - attached


class Tally:
    """Everything one method (model or baseline) scores on one set, accumulated image by image."""

    def __init__(self, labelled: bool):
        self.labelled = labelled
        self.cm = ConfusionMatrix()
        self.counts = np.zeros(len(NAMES), np.int64)  # predicted pixels per class, all pixels
        self.sky = self.below = self.detached = self.images_below = 0
        self.image_cms: list = []  # per-image confusion matrices, for the bootstrap intervals

    def add(self, pred: np.ndarray, target: np.ndarray | None) -> dict:
        """Score one image; return its per-image row."""
        if pred.max(initial=0) >= len(NAMES):
            raise ModelError(f"prediction holds class ids outside 0..{len(NAMES) - 1}")
        counts = np.bincount(pred.ravel(), minlength=len(NAMES))[:len(NAMES)]
        self.counts += counts
        sky, below, detached = horizon(pred)
        self.sky, self.below, self.detached = self.sky + sky, self.below + below, self.detached + detached
        self.images_below += int(sky > 0 and below > 0.01 * sky)
        row = {"predicted_shares": dict(zip(NAMES, np.round(counts / pred.size, 6).tolist())),
               "rock_share": _r(counts[ROCK] / pred.size),
               "sky_below_ground": _r(below / sky) if sky else None,
               "sky_detached": _r(detached / sky) if sky else None}
        if target is not None:
            cm = ConfusionMatrix().update(target, pred).matrix
            self.cm.matrix += cm
            self.image_cms.append(cm)
            row = {**_scores(cm), **row}
        return row

    def summary(self) -> dict:
        total = int(self.counts.sum())
        out = {}
        if self.labelled:
            out = {**summarize(self.cm.matrix), "rock_flood": _scores(self.cm.matrix)["rock_flood"]}
        out.update({"predicted_shares": dict(zip(NAMES, np.round(self.counts / max(total, 1), 6).tolist())),
                    "rock_share": _r(self.counts[ROCK] / total) if total else None,
                    "horizon": {"sky_pixels": self.sky,
                                "sky_below_ground": _r(self.below / self.sky) if self.sky else None,
                                "sky_detached": _r(self.detached / self.sky) if self.sky else None,
                                "images_with_sky_below_ground": int(self.images_below)}})
        return out


def _scores(cm: np.ndarray) -> dict:
    """Per-image (or per-set) scores of one confusion matrix, rock flood included."""
    iou = per_class_iou(cm)
    true_rock, pred_rock = cm[ROCK].sum(), cm[:, ROCK].sum()
    return {"iou": {n: _r(v) for n, v in zip(NAMES, iou)},
            "miou": _r(np.nanmean(iou)) if np.isfinite(iou).any() else None,
            "pixel_accuracy": _r(np.trace(cm) / cm.sum()) if cm.sum() else None,
            "rock_flood": _r(pred_rock / true_rock) if true_rock else None}


def _predict(segmenter, images: list) -> list:
    if hasattr(segmenter, "predict_batch"):
        return segmenter.predict_batch(images)
    return [segmenter.predict(im) for im in images]


def evaluate_set(images, segmenter, masks=None, *, limit: int | None = None, name: str | None = None,
                 baseline=None, progress: bool = True, batch_size: int = 8) -> SetResult:
    """Score `segmenter` (anything with `predict(rgb) -> HxW ids`) and the baseline on one image set.

    `images` is a folder, a dataset dir or an `ImageSet`. With masks: accumulated confusion matrix
    metrics; without: only class shares and the horizon check (no accuracy metric at all).
    """
    from tqdm import tqdm

    from .baseline import Baseline

    image_set = images if isinstance(images, ImageSet) else find_image_set(images, masks, limit, name)
    baseline = baseline or Baseline()
    labelled = image_set.labelled
    tallies = {"model": Tally(labelled), "baseline": Tally(labelled)}
    true_counts = np.zeros(256, np.int64)
    rows = []
    bar = tqdm(total=len(image_set.samples), desc=image_set.name, unit="img", leave=False,
               disable=None if progress else True)
    try:
        for start in range(0, len(image_set.samples), batch_size):
            chunk = image_set.samples[start:start + batch_size]
            rgbs, targets = zip(*(load_sample(s, image_set.crop) for s in chunk))
            for s, rgb, target, pred in zip(chunk, rgbs, targets, _predict(segmenter, rgbs)):
                pred = np.asarray(pred)
                if pred.shape != rgb.shape[:2]:
                    raise ModelError(f"{s.image.name}: prediction is {pred.shape[1]}x{pred.shape[0]}, image is "
                                     f"{rgb.shape[1]}x{rgb.shape[0]}; predictions must come back at full size")
                row = {"id": s.id, "file": s.image.name, "width": rgb.shape[1], "height": rgb.shape[0]}
                if s.scaled_from:
                    row["scaled_from"] = list(s.scaled_from)
                if target is not None:
                    c = np.bincount(target.ravel(), minlength=256)
                    true_counts += c
                    row["true_shares"] = {n: _r(c[k] / target.size) for k, n in enumerate(NAMES)}
                row["model"] = tallies["model"].add(pred, target)
                row["baseline"] = tallies["baseline"].add(baseline.predict(rgb), target)
                rows.append(row)
                bar.update()
    finally:  # leave the terminal clean for a one-line error
        bar.close()
    metrics = {"name": image_set.name, "images": str(image_set.images), "kind": image_set.kind,
               "labelled": labelled, "masks": str(image_set.masks) if labelled else None,
               "images_found": image_set.found, "images_evaluated": len(rows), "crop": image_set.crop,
               "scaled_down": sum("scaled_from" in r for r in rows)}
    if labelled:
        total = max(int(true_counts.sum()), 1)
        metrics["true_shares"] = {**{n: _r(true_counts[k] / total) for k, n in enumerate(NAMES)},
                                  "ignore": _r(true_counts[IGNORE_ID] / total)}
    metrics.update({"model": tallies["model"].summary(), "baseline": tallies["baseline"].summary()})
    if labelled:
        metrics["bootstrap"] = bootstrap_intervals({k: t.image_cms for k, t in tallies.items()},
                                                   groups=image_set.groups, unit="layout")
    metrics["per_image"] = rows
    return SetResult(image_set, metrics)


# -- several sets, one table ----------------------------------------------------------------------
def compare_sets(results: list) -> dict:
    """One table over sets (model and baseline rows) and the drop from the synthetic reference.

    The reference is the first labelled set in our dataset layout (synthetic), else none. Rows of
    sets without masks carry only the mask-free proxies.
    """
    rows = []
    for res in results:
        m = res.metrics
        for method in ("model", "baseline"):
            s = m[method]
            row = {"set": m["name"], "kind": m["kind"], "labelled": m["labelled"], "method": method,
                   "images": m["images_evaluated"]}
            if m["labelled"]:
                row.update({f"{n}_iou": s["per_class_iou"][n] for n in NAMES})
                row.update({"miou": s["miou"], "pixel_accuracy": s["pixel_accuracy"], "rock_flood": s["rock_flood"],
                            "true_rock_share": m["true_shares"]["rock"]})
            row.update({"rock_share": s["rock_share"], "sky_below_ground": s["horizon"]["sky_below_ground"]})
            rows.append(row)
    ref = next((r.metrics for r in results if r.metrics["labelled"] and r.metrics["kind"] == "dataset"), None)
    gaps = []
    if ref is not None:
        for res in results:
            m = res.metrics
            if m is ref or not m["labelled"]:
                continue
            for method in ("model", "baseline"):
                a, b = ref[method], m[method]
                drop = {k: round(a[k] - b[k], 6) if a[k] is not None and b[k] is not None else None
                        for k in ("rock_iou", "miou")}
                gaps.append({"set": m["name"], "reference": ref["name"], "method": method,
                             "rock_iou_drop": drop["rock_iou"], "miou_drop": drop["miou"],
                             "rock_flood": b["rock_flood"], "reference_rock_flood": a["rock_flood"]})
    return {"reference": ref["name"] if ref else None, "rows": rows, "gaps": gaps}
