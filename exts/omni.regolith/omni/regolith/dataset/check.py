"""Dataset validation: every problem that would crash or silently poison training, one per line.

Checks the layout of docs/dataset-format.md: each frame in frames.jsonl has rgb, mask and depth
(and instance, once a dataset has an instance/ folder; each file has a record), every file decodes,
rgb is 3-channel, mask is 8-bit single channel with values in {0, 1, 2, 255}, depth is float32
(H, W) .npy or a 16-bit PNG, instance is a 16-bit PNG that is non-zero exactly on rock pixels, and
all of them agree in size; then `consistency` compares the plan with the config, and the manifest
with the disk.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import CLASS_NAMES, IGNORE_ID, ROCK
from ..errors import DatasetError
from ..plan.io import read_records
from .consistency import consistency_problems
from .layout import KINDS, dataset_dir, frame_path, frame_stem, required_kinds, scan_files
from .stats import _map

ALLOWED_IDS = (*sorted(CLASS_NAMES), IGNORE_ID)


_ALLOWED = np.zeros(256, bool)


_ALLOWED[list(ALLOWED_IDS)] = True


def check_dataset(root, workers: int | None = None, progress: bool = False) -> list[str]:
    """All problems found in a dataset folder, one line each; an empty list means the dataset is OK.

    Raises DatasetError when the folder is missing or holds no frames at all.
    """
    root = dataset_dir(root)
    problems: list[str] = []
    manifest_path, manifest = root / "manifest.json", None
    if not manifest_path.is_file():
        problems.append("manifest.json: missing")
    else:
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError(f"a JSON {type(manifest).__name__}, not an object")
        except (OSError, ValueError) as exc:
            problems.append(f"manifest.json: unreadable ({exc})")
            manifest = None
    has_plan = (root / "frames.jsonl").is_file()
    records = read_records(root, problems)
    files = {kind: scan_files(root, kind, problems) for kind in KINDS}
    required = required_kinds(root)
    indices = sorted(set(records).union(*files.values()))
    if not indices:
        raise DatasetError(f"{root}: no frames (no frames.jsonl records, no rgb/, mask/ or depth/ files); "
                           "is this a dataset folder?")
    if not has_plan:
        problems.append("frames.jsonl: missing")
    jobs = []
    for index in indices:
        stem = frame_stem(index)
        if has_plan and index not in records:
            problems += [f"{kind}/{files[kind][index].name}: no record in frames.jsonl"
                         for kind in KINDS if index in files[kind]]
        missing = [f"{kind}/{stem}.{'|'.join(KINDS[kind])}" for kind in required if index not in files[kind]]
        if missing:
            problems.append(f"{stem}: missing {', '.join(missing)}")
        jobs.append((root, index, {k for k in KINDS if index in files[k]}, records.get(index)))
    for found in _map(_check_frame, jobs, workers, "check", progress):
        problems += found
    complete = set(files["rgb"]) & set(files["mask"]) & set(files["depth"])
    return problems + consistency_problems(root, records, complete, manifest)


def _check_frame(job) -> list[str]:
    """Decode one frame's files; report format problems and disagreeing sizes."""
    root, index, present, record = job
    problems, sizes = [], {}
    for kind in KINDS:
        if kind not in present:
            continue
        path = frame_path(root, kind, index)
        name = f"{kind}/{path.name}"
        try:
            size, found = {"depth": _check_depth, "instance": _check_instance}.get(kind, _check_png)(path, kind)
        except Exception as exc:  # noqa: BLE001 - any decode failure is the problem to report
            problems.append(f"{name}: unreadable ({type(exc).__name__}: {exc})")
            continue
        problems += [f"{name}: {p}" for p in found]
        if size:
            sizes[kind] = size
    intr = record.intrinsics if record is not None else None
    if isinstance(intr, dict) and isinstance(intr.get("width"), int) and isinstance(intr.get("height"), int):
        sizes["intrinsics"] = (intr["width"], intr["height"])
    if len(set(sizes.values())) > 1:
        problems.append(f"{frame_stem(index)}: size mismatch: " + ", ".join(f"{k} {w}x{h}" for k, (w, h) in sizes.items()))
    return problems


def _check_png(path: Path, kind: str):
    """(width, height) and problems of an rgb (3 channels) or mask (8-bit, 1 channel, known ids)."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()  # decode fully: truncated or corrupt data raises here
        size, mode, bands = im.size, im.mode, len(im.getbands())
        if kind == "rgb":
            if mode != "RGB":
                return size, [f"{bands} channels (mode {mode}), expected 3 (RGB)"]
            return size, []
        if mode not in ("L", "P"):
            return size, [f"{bands} channels (mode {mode}), expected 8-bit single channel (L)"]
        mask = np.asarray(im)
    counts = np.bincount(mask.ravel(), minlength=256)
    bad = np.flatnonzero((counts > 0) & ~_ALLOWED)
    if bad.size:
        values = ", ".join(f"{v} ({counts[v]} px)" for v in bad[:8]) + (" ..." if bad.size > 8 else "")
        return size, [f"values outside {{{', '.join(map(str, ALLOWED_IDS))}}}: {values}"]
    return size, []


def _check_instance(path: Path, kind: str):
    """(width, height) and problems of an instance map: 16-bit, non-zero exactly where the mask says rock."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        if im.mode not in ("I;16", "I;16B", "I"):
            return im.size, [f"mode {im.mode}, expected a 16-bit single channel PNG (rock ids)"]
        size, instance = im.size, np.asarray(im)
    mask_path = frame_path(path.parent.parent, "mask", int(path.stem))
    if not mask_path.exists():
        return size, []
    with Image.open(mask_path) as im:
        mask = np.asarray(im)
    if mask.shape != instance.shape:
        return size, []  # the size check names it
    wrong = int(np.count_nonzero((instance > 0) != (mask == ROCK)))
    return size, [f"{wrong} px where instance > 0 and mask == rock disagree"] if wrong else []


def _check_depth(path: Path, kind: str):
    """(width, height) and problems of a depth map: float32 (H, W) .npy or 16-bit PNG, finite, non-negative."""
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as im:
            im.load()
            if im.mode not in ("I;16", "I;16B", "I"):
                return im.size, [f"mode {im.mode}, expected a 16-bit single channel PNG (metres x 256)"]
            return im.size, []
    depth = np.load(path, allow_pickle=False)
    problems = []
    if depth.dtype != np.float32:
        problems.append(f"dtype {depth.dtype}, expected float32")
    if depth.ndim != 2:
        problems.append(f"shape {depth.shape}, expected (H, W)")
        return (depth.shape[1], depth.shape[0]) if depth.ndim >= 2 else None, problems
    if depth.dtype.kind == "f":
        if not np.isfinite(depth).all():
            problems.append(f"{int((~np.isfinite(depth)).sum())} non-finite values")
        if (depth < 0).any():
            problems.append(f"{int((depth < 0).sum())} negative values")
    return (depth.shape[1], depth.shape[0]), problems
