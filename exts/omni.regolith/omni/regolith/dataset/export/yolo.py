"""Ultralytics YOLO segmentation: `images/{split}/`, `labels/{split}/` (one polygon per rock) and data.yaml.

Each rock's outline is traced from instance/ at the pixel edges (marching squares, contourpy);
a rock that another one cuts in two gets its parts joined by zero-width bridges, the way
Ultralytics joins multi-part COCO masks, so every line is one rock. Polygons approximate the
masks (corners are cut by half a pixel); COCO RLE is the exact export. Images are hard links to
the dataset's rgb files (copies across file systems). Every file is written atomically and a
rerun skips frames whose label file is newer than their rgb and instance files.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from ...io import atomic_write_text
from .frames import ExportReport, check_split, open_source, read_ahead, read_png
from .target import open_target, remove_temps

CLASS_INDEX = 0  # YOLO class indices start at 0: rock is the only class


def outlines(mask: np.ndarray) -> list[np.ndarray]:
    """Closed outlines of a binary mask, (n, 2) x, y in pixel-edge coordinates, collinear points dropped."""
    import contourpy

    z = np.pad(mask.astype(np.float64), 1)
    lines = contourpy.contour_generator(z=z, name="serial", line_type="Separate").lines(0.5)
    out = []
    for line in lines:
        p = line[:-1] - 0.5  # drop the repeated end point; padded grid -> pixel edges
        a, b = p - np.roll(p, 1, 0), np.roll(p, -1, 0) - p
        p = p[a[:, 0] * b[:, 1] != a[:, 1] * b[:, 0]]  # keep the corners
        if len(p) >= 3:
            out.append(p)
    return out


def join_parts(parts: list[np.ndarray]) -> np.ndarray:
    """One polygon from several: each next part is visited from the nearest point of those joined so far."""
    parts = sorted(parts, key=len, reverse=True)
    poly = parts[0]
    for part in parts[1:]:
        d = ((poly[:, None, :] - part[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(np.argmin(d), d.shape)
        loop = np.roll(part, -j, 0)
        poly = np.concatenate([poly[:i + 1], loop, loop[:1], poly[i:]])
    return poly


def rock_polygons(instance: np.ndarray) -> dict[int, np.ndarray]:
    """Rock id -> one polygon (x, y in pixels), traced inside each rock's bounding box."""
    from scipy import ndimage

    polys = {}
    for k, box in enumerate(ndimage.find_objects(instance), start=1):
        if box is None:
            continue
        parts = outlines(instance[box] == k)
        if parts:
            polys[k] = join_parts(parts) + [box[1].start, box[0].start]
    return polys


def label_text(instance: np.ndarray) -> str:
    h, w = instance.shape
    lines = []
    for poly in rock_polygons(instance).values():
        xy = np.clip(poly / [w, h], 0.0, 1.0).ravel()
        lines.append(f"{CLASS_INDEX} " + " ".join(f"{v:.6f}" for v in xy))
    return "".join(line + "\n" for line in lines)


def place_image(src: Path, dst: Path) -> None:
    """`dst` becomes a hard link to `src` (a copy across file systems), atomically."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _export_frame(job) -> bool:
    """Write one frame's image and label file; False when they were already up to date."""
    frame, images, labels = job
    label = labels / f"{frame.stem}.txt"
    image = images / frame.paths["rgb"].name
    if label.exists() and image.exists() and label.stat().st_mtime >= frame.newest_mtime():
        return False
    place_image(frame.paths["rgb"], image)
    atomic_write_text(label, label_text(read_png(frame.paths["instance"])))
    return True


def data_yaml(root: Path) -> str:
    """Ultralytics data.yaml: every exported split; val falls back to train when none was exported."""
    splits = sorted(p.name for p in (root / "images").iterdir() if p.is_dir())
    keys = {"validation": "val"}
    lines = ["# regolith rock instances, YOLO segmentation (regolith export --format yolo-seg)",
             f"path: {root.resolve()}"]
    lines += [f"{keys.get(s, s)}: images/{s}" for s in splits]
    if not any(keys.get(s, s) == "val" for s in splits):
        lines.append("val: images/train  # no validation split exported: export one with --split val")
    lines += ["names:", f"  {CLASS_INDEX}: rock"]
    return "\n".join(lines) + "\n"


def export_yolo(root, out, split: str = "train", workers: int = 2, progress: bool = True) -> ExportReport:
    src = open_source(root, need_instances=True)
    check_split(split)
    target = open_target(out, "yolo-seg")
    images, labels = target / "images" / split, target / "labels" / split
    for folder in (images, labels):
        folder.mkdir(parents=True, exist_ok=True)
        remove_temps(folder)
    t0 = time.perf_counter()
    jobs = [(f, images, labels) for f in src.frames]
    written = sum(read_ahead(_export_frame, jobs, workers, desc=f"yolo {split}", progress=progress))
    atomic_write_text(target / "data.yaml", data_yaml(target))
    return ExportReport("yolo-seg", target, len(src.frames), src.skipped, len(src.frames) - written,
                        time.perf_counter() - t0, {"split": split})
