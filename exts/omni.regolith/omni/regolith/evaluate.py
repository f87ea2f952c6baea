"""Evaluate a segmentation model on real (or synthetic) images, always next to a non-learned floor.

`regolith evaluate` runs one model over one or more image sets (`--images`, `--compare`) and writes
REPORT_DIR/report.md, REPORT_DIR/metrics.json and PNG contact sheets. Every number is computed
the same way for the model and for `baseline.Baseline` (simple image rules), on the same images.

How to read the report (draft for docs/results.md)
--------------------------------------------------
* Sets with masks are scored with one confusion matrix accumulated over all their pixels
  (ignore = 255 never counts), so big and small images weigh by their pixels, not per image.
  Per-class IoU, mean IoU and pixel accuracy come from that matrix; the per-image rows are for
  finding failures, not for averaging.
* Sky is easy on the Moon: it is black space above the horizon, and the baseline already gets
  sky IoU near 1. Pixel accuracy and mean IoU are dominated by regolith and sky. The numbers that
  matter are **rock IoU** and the **rock flood ratio** (predicted rock pixels / true rock pixels,
  over non-ignored pixels): 1 is right, > 1 means the model paints regolith as rock (the typical
  sim-to-real failure), < 1 means it misses rocks. A model is only useful where it beats the
  baseline row; a rock IoU at or under the baseline's means it learned nothing transferable.
* Sets without masks get no accuracy score of any kind. They get proxies: the predicted class
  shares (the rock share is the flood proxy: real lunar ground is mostly regolith, so a rock share
  far above the baseline's is a flood), and a horizon check: `sky_below_ground` is the share of
  predicted sky pixels lying below the first non-sky pixel of their column, `sky_detached` the
  share in sky regions not touching the top edge. On the Moon both should be ~0; anything else is
  sky painted into shadows or dark rocks. The contact sheet is the real evidence here: look at it.
* The comparison table puts the same model on a synthetic validation set and on real sets. The
  drop in rock IoU from the synthetic reference to a real set is the sim-to-real gap as a number;
  the baseline's own drop tells how much of it is just the real set being harder.
* The Chang'e-3 masks are hand drawn and were re-cropped from published figures (blurred, lower
  resolution; see its SOURCES.md): boundaries are soft, so small rocks cap any rock IoU well below 1.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import CLASS_NAMES, IGNORE_ID, ROCK, SKY, __version__
from .errors import DatasetError, ModelError
from .metrics import ConfusionMatrix, bootstrap_intervals, per_class_iou, summarize
from .report import compare_sets  # noqa: F401 - part of this module's API

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_IMAGES = REPO_ROOT.parent / "shared" / "data" / "real_lunar"
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
ALLOWED_IDS = np.array(sorted(CLASS_NAMES) + [IGNORE_ID])
NAMES = [CLASS_NAMES[k] for k in sorted(CLASS_NAMES)]
SCHEMA = "regolith.evaluate/1"
ALLD_HINT = ("real lunar photographs with masks: the `real_moon_images` folder of the Kaggle "
             "'Artificial Lunar Landscape Dataset' (`kaggle datasets download -d "
             "romainpessia/artificial-lunar-rocky-landscape-dataset`, licence believed CC BY-NC-SA: "
             "evaluate, do not redistribute); pass it as --images (its g_<id>.png masks are read as they are)")
# ALLD ground-truth colours -> class ids (black ground, green small rock, blue large rock, red sky)
ALLD_PALETTE = (((0, 0, 0), 0), ((0, 255, 0), ROCK), ((0, 0, 255), ROCK), ((255, 0, 0), SKY))


@dataclass
class Sample:
    id: str
    image: Path
    mask: Path | None = None


@dataclass
class ImageSet:
    """Images to evaluate and where their masks came from (`masks` None: no masks)."""

    name: str
    images: Path
    masks: Path | None
    kind: str  # "dataset" (rgb/ + mask/ layout) or "folder"
    samples: list[Sample]
    found: int  # images in the folder before --limit
    crop: float = 0.0  # fraction cut off each side of images and masks (scan borders)
    groups: list | None = None  # per sample, its rock layout (dataset dirs): the bootstrap's unit

    @property
    def labelled(self) -> bool:
        return self.masks is not None


@dataclass
class SetResult:
    image_set: ImageSet
    metrics: dict = field(default_factory=dict)


# -- finding images and masks -------------------------------------------------------------------
def _natural(name: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _list_images(folder: Path) -> dict[str, Path]:
    files = {p.stem: p for p in sorted(folder.iterdir())
             if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTS}
    return {stem: p for stem, p in files.items()
            if not stem.endswith("_mask") and not (stem.startswith("g_") and stem[2:] in files)}


def resolve_images(images=None) -> Path:
    """The folder to evaluate; None -> the shipped Chang'e-3 set beside the repo, if present."""
    if images is None:
        if DEFAULT_IMAGES.is_dir():
            return DEFAULT_IMAGES
        raise DatasetError(f"no --images given and no real images at {DEFAULT_IMAGES}; {ALLD_HINT}")
    path = Path(images)
    if not path.is_dir():
        raise DatasetError(f"{path}: no such folder of images" + ("" if path.exists() else f"; {ALLD_HINT}"))
    return path


def find_image_set(images=None, masks=None, limit: int | None = None, name: str | None = None,
                   crop: float = 0.0) -> ImageSet:
    """Images of a folder or dataset, each with its mask if one is found (all or none)."""
    root = resolve_images(images)
    kind, folder, auto_masks = "folder", root, None
    if (root / "rgb").is_dir():
        kind, folder = "dataset", root / "rgb"
    elif root.name == "rgb" and (root.parent / "mask").is_dir():
        kind, folder, root = "dataset", root, root.parent
    if kind == "dataset" and (root / "mask").is_dir():
        auto_masks = root / "mask"
    files = _list_images(folder)
    if not files:
        raise DatasetError(f"{folder}: no images ({', '.join(sorted(IMAGE_EXTS))}); {ALLD_HINT}")
    mask_dir = Path(masks) if masks is not None else auto_masks
    if masks is not None and not mask_dir.is_dir():
        raise DatasetError(f"--masks {mask_dir}: no such folder")
    samples = []
    for stem in sorted(files, key=_natural):
        names = [f"{stem}_mask.png", f"g_{stem}.png"] + ([f"{stem}.png"] if mask_dir else [])
        mask = next((c for n in names if (c := (mask_dir or folder) / n).is_file() and c != files[stem]), None)
        samples.append(Sample(stem, files[stem], mask))
    have = [s for s in samples if s.mask is not None]
    if (have and len(have) < len(samples)) or (masks is not None and not have):
        missing = next(s for s in samples if s.mask is None)
        raise DatasetError(f"{len(have)} of {len(samples)} images in {folder} have a mask (none for "
                           f"{missing.image.name}); give every image <id>_mask.png or point --masks at a folder "
                           "holding them all, or move the unlabelled ones to their own folder")
    found = len(samples)
    if limit is not None and limit < found:  # evenly spread: consecutive frames share terrain
        samples = [samples[i] for i in np.unique(np.linspace(0, found - 1, limit).round().astype(int))]
    masks_from = (mask_dir or folder) if have else None
    groups = _layouts(root, samples) if kind == "dataset" else None
    return ImageSet(name or root.name, root, masks_from, kind, samples, found, crop, groups)


def _layouts(root: Path, samples: list) -> list | None:
    """Each frame's rock layout from the dataset's frames.jsonl; None where any is unknown.

    Frames of one layout share their rocks and terrain, so they are not independent draws: the
    bootstrap resamples layouts of a dataset, not frames."""
    from .stats import read_records

    records = read_records(root, problems=[])  # a bad line drops its frame, and then the grouping
    try:
        return [records[int(s.id)]["layout"] for s in samples]
    except (ValueError, KeyError, TypeError):
        return None


# -- reading -------------------------------------------------------------------------------------
def _open(path: Path, what: str):
    from PIL import Image

    try:
        im = Image.open(path)
        im.load()
        return im
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(f"{path}: unreadable {what} ({msg})") from None


def read_image(path) -> np.ndarray:
    """Any PNG/JPEG (grayscale, 16-bit, palette, alpha) as HxWx3 uint8."""
    im = _open(Path(path), "image")
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, np.float32)
        a = a / 257.0 if im.mode.startswith("I;16") else a * (255.0 / max(float(a.max()), 1.0))
        a = np.clip(a, 0, 255).astype(np.uint8)
    else:
        a = np.asarray(im.convert("L") if im.mode in ("L", "1", "LA") else im.convert("RGB"))
    return np.repeat(a[:, :, None], 3, 2) if a.ndim == 2 else a


def crop_border(a: np.ndarray, fraction: float) -> np.ndarray:
    """Cut `fraction` of the height and width off each side (film borders of scanned photographs)."""
    if not fraction:
        return a
    dy, dx = round(a.shape[0] * fraction), round(a.shape[1] * fraction)
    return a[dy:a.shape[0] - dy, dx:a.shape[1] - dx]


def load_sample(sample: Sample, crop: float = 0.0):
    """(rgb, mask or None), the mask checked against its image, both cropped alike."""
    rgb = read_image(sample.image)
    target = read_mask(sample.mask, rgb.shape[:2]) if sample.mask else None
    return crop_border(rgb, crop), None if target is None else crop_border(target, crop)


def alld_to_ids(rgb: np.ndarray) -> np.ndarray:
    """An ALLD colour mask as class ids: nearest palette colour within 60, rock mixtures, else ignore."""
    a = rgb[..., :3].astype(np.int32)
    colors = np.array([c for c, _ in ALLD_PALETTE])
    d2 = ((a[:, :, None, :] - colors[None, None]) ** 2).sum(-1)
    near = d2.argmin(-1)
    out = np.where(d2.min(-1) <= 60 ** 2, np.array([k for _, k in ALLD_PALETTE])[near], IGNORE_ID)
    mix = (a[..., 0] <= 40) & (a[..., 1] + a[..., 2] >= 215) & (a[..., 1] + a[..., 2] <= 295)
    out[mix] = ROCK
    return out.astype(np.uint8)


def read_mask(path, shape) -> np.ndarray:
    """A class-id mask the size of its image with values in {0, 1, 2, 255}, else a DatasetError."""
    path = Path(path)
    im = _open(path, "mask")
    if im.mode in ("L", "P"):
        mask = np.asarray(im)
    elif path.name.startswith("g_") and im.mode in ("RGB", "RGBA"):
        mask = alld_to_ids(np.asarray(im))
    else:
        raise DatasetError(f"{path}: mask has mode {im.mode}; expected 8-bit single channel class ids "
                           "(0 regolith, 1 rock, 2 sky, 255 ignore)")
    if mask.shape != tuple(shape):
        raise DatasetError(f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but its image is "
                           f"{shape[1]}x{shape[0]}; masks must match their image pixel for pixel")
    values = np.flatnonzero(np.bincount(mask.ravel(), minlength=256))
    bad = np.setdiff1d(values, ALLOWED_IDS)
    if bad.size:
        raise DatasetError(f"{path}: mask values {', '.join(map(str, bad[:6]))} outside {{0, 1, 2, 255}} "
                           "(0 regolith, 1 rock, 2 sky, 255 ignore)")
    return mask


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
               "images_found": image_set.found, "images_evaluated": len(rows), "crop": image_set.crop}
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


# -- several sets ---------------------------------------------------------------------------------
def _unique_name(name: str, taken: set) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "set"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}-{k}", k + 1
    taken.add(out)
    return out


def run_evaluation(out, images=None, masks=None, compare=(), model=None, device="auto",
                   limit: int | None = None, segmenter=None, progress: bool = True, crop: float = 0.0,
                   input_size: int | None = None) -> dict:
    """Evaluate `images` (+ each `compare` set) with one model; write report.md, metrics.json, sheets.

    `segmenter` overrides `model` (tests inject fakes). Returns the metrics.json content.
    """
    import json

    from .baseline import Baseline
    from .io import atomic_write_text
    from .report import figures_for_set, write_report

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out}: exists and is not a folder")
    taken: set = set()
    sets = [find_image_set(images, masks, limit, crop=crop)]
    sets[0].name = _unique_name(sets[0].name, taken)
    for extra in compare:
        s = find_image_set(extra, None, limit, crop=crop)
        s.name = _unique_name(s.name, taken)
        sets.append(s)
    if segmenter is None:
        from .inference import DEFAULT_MODEL_DIR, Segmenter
        from .segformer import resolve_model_dir

        segmenter = Segmenter.load(model, device=device, input_size=input_size)
        model_info = {"path": str(resolve_model_dir(model).resolve() if model else DEFAULT_MODEL_DIR),
                      "default": model is None, "device": str(segmenter.device), "precision": segmenter.precision,
                      "input_size": list(segmenter.size)}
    else:
        model_info = {"path": str(model) if model else None,
                      "name": getattr(segmenter, "name", type(segmenter).__name__)}
    baseline = Baseline()
    results = [evaluate_set(s, segmenter, baseline=baseline, progress=progress) for s in sets]
    out.mkdir(parents=True, exist_ok=True)
    for res in results:
        res.metrics["figures"] = figures_for_set(res, segmenter, baseline, out)
    metrics = {"schema": SCHEMA, "generated_by": f"regolith evaluate {__version__}",
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "model": model_info, "baseline": {"name": baseline.name, "rules": baseline.description},
               "classes": {str(k): v for k, v in {**CLASS_NAMES, IGNORE_ID: "ignore"}.items()},
               "sets": [r.metrics for r in results], "comparison": compare_sets(results)}
    metrics["files"] = {"report": "report.md", "metrics": "metrics.json",
                        "figures": [f for r in results for f in r.metrics["figures"].values()]}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=1, allow_nan=False) + "\n")
    write_report(metrics, out / "report.md")
    return metrics


def figure_row(sample: Sample, segmenter, baseline, crop: float = 0.0):
    """(rgb, model prediction, baseline prediction, target or None) for one sample, for figures."""
    rgb, target = load_sample(sample, crop)
    return rgb, np.asarray(_predict(segmenter, [rgb])[0]), baseline.predict(rgb), target
