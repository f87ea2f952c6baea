"""Image sets to evaluate: a folder of photographs (masks beside them or elsewhere) or a dataset dir.

Masks are checked against their images (size, values in {0, 1, 2, 255}); ALLD colour masks
(`g_<id>.png`) are converted to class ids.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import CLASS_NAMES, IGNORE_ID, ROCK, SKY
from ..errors import DatasetError

REPO_ROOT = Path(__file__).resolve().parents[5]


DEFAULT_IMAGES = REPO_ROOT.parent / "shared" / "data" / "real_lunar"


IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


ALLOWED_IDS = np.array(sorted(CLASS_NAMES) + [IGNORE_ID])


ALLD_HINT = ("real lunar photographs with masks: the `real_moon_images` folder of the Kaggle "
             "'Artificial Lunar Landscape Dataset' (`kaggle datasets download -d "
             "romainpessia/artificial-lunar-rocky-landscape-dataset`, licence believed CC BY-NC-SA: "
             "evaluate, do not redistribute); pass it as --images (its g_<id>.png masks are read as they are)")


# ALLD ground-truth colours -> class ids (black ground, green small rock, blue large rock, red sky)
ALLD_PALETTE = (((0, 0, 0), 0), ((0, 255, 0), ROCK), ((0, 0, 255), ROCK), ((255, 0, 0), SKY))


MAX_SIDE = 4096  # longer images are scaled down before scoring: a 12000 x 12000 one took 6 GB


@dataclass
class Sample:
    id: str
    image: Path
    mask: Path | None = None
    scaled_from: tuple | None = None  # (width, height) when `load_sample` scaled it down to MAX_SIDE


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
        env = os.environ.get("REGOLITH_DATA")  # the data root of evaluate.sets, where the GPU box keeps it
        default = Path(env) / DEFAULT_IMAGES.name if env else DEFAULT_IMAGES
        if default.is_dir():
            return default
        raise DatasetError(f"no --images given and no real images at {default}; {ALLD_HINT}")
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
    from ..plan.io import read_records

    records = read_records(root, problems=[])  # a bad line drops its frame, and then the grouping
    try:
        return [records[int(s.id)].layout for s in samples]
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


def load_sample(sample: Sample, crop: float = 0.0, max_side: int = MAX_SIDE):
    """(rgb, mask or None), the mask checked against its image, both cropped alike; an image whose
    long side exceeds `max_side` is scaled down (area-averaged; its mask by nearest neighbour) and
    `sample.scaled_from` says so, for the report."""
    rgb = read_image(sample.image)
    target = read_mask(sample.mask, rgb.shape[:2]) if sample.mask else None
    rgb, target = crop_border(rgb, crop), None if target is None else crop_border(target, crop)
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb, target
    from PIL import Image

    size = (max(1, round(w * max_side / max(h, w))), max(1, round(h * max_side / max(h, w))))
    sample.scaled_from = (w, h)
    rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    if target is not None:
        target = np.asarray(Image.fromarray(target).resize(size, Image.Resampling.NEAREST))
    return rgb, target


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
