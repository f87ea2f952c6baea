"""Where a frame's files live and how they are named: the one rule every reader and writer uses.

A frame is `rgb/NNNNN.png`, `mask/NNNNN.png` and `depth/NNNNN.npy|png`, plus `instance/NNNNN.png`
in datasets made with `render.instances`; it counts as done only when all of them exist.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from PIL import Image

from .. import CLASS_NAMES, IGNORE_ID
from ..errors import DatasetError
from ..io import png_bytes

CLASS_IDS = {str(k): v for k, v in CLASS_NAMES.items()} | {str(IGNORE_ID): "ignore"}


SUBDIRS = ("rgb", "mask", "depth")  # every frame has these
OPTIONAL = ("instance",)  # uint16 rock ids, with `render.instances`: then every frame has it too
DEPTH_EXT = {"npy": "npy", "png16": "png"}
KINDS = {"rgb": ("png",), "mask": ("png",), "depth": tuple(DEPTH_EXT.values()),
         "instance": ("png",)}  # frame sub-folder -> file extensions
DEPTH_STEPS_PER_M = 256  # png16 depth: uint16 value / 256 = metres (the KITTI convention); 0 = sky


def frame_stem(index: int) -> str:
    """The one file-name rule: frame 7 is `00007` (five digits at least, no other padding)."""
    return f"{index:05d}"


def frame_paths(root: Path, index: int, depth_format: str = "npy") -> dict[str, Path]:
    stem = frame_stem(index)
    return {"rgb": root / "rgb" / f"{stem}.png", "mask": root / "mask" / f"{stem}.png",
            "depth": root / "depth" / f"{stem}.{DEPTH_EXT[depth_format]}",
            "instance": root / "instance" / f"{stem}.png"}


def frame_done(root: Path, index: int, instances: bool = False) -> bool:
    """All its files exist (a dataset holds one depth format: `prepare` refuses mixing)."""
    paths = frame_paths(root, index)
    return (paths["rgb"].exists() and paths["mask"].exists()
            and any(paths["depth"].with_suffix(f".{ext}").exists() for ext in DEPTH_EXT.values())
            and (not instances or paths["instance"].exists()))


def required_kinds(root: Path) -> tuple[str, ...]:
    """The sub-folders every frame of this dataset must have: instance/ once the folder exists."""
    return SUBDIRS + tuple(kind for kind in OPTIONAL if (Path(root) / kind).is_dir())


def depth_png16_bytes(depth: np.ndarray) -> bytes:
    """Metres -> 16-bit PNG in 1/256 m; beyond 255.99 m clips (our scenes end well before)."""
    steps = np.clip(np.rint(depth * DEPTH_STEPS_PER_M), 0, 65535).astype(np.uint16)
    return png_bytes(Image.fromarray(steps), compress_level=1)


def read_depth(path: str | Path) -> np.ndarray:
    """A depth file of either format as float32 metres (H, W), 0 where the pixel sees sky."""
    path = Path(path)
    if path.suffix == ".png":
        with Image.open(path) as im:
            return np.asarray(im, dtype=np.float32) / DEPTH_STEPS_PER_M
    return np.load(path, allow_pickle=False).astype(np.float32)


_STEM = re.compile(r"^\d{5,}$")


def dataset_dir(root) -> Path:
    """The dataset folder, or a DatasetError a user can act on."""
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: no such dataset folder")
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder (expected a dataset folder with frames.jsonl, rgb/, mask/)")
    return root


def frame_path(root: Path, kind: str, index: int) -> Path:
    """The frame's file of this kind: the one that exists, else the first extension's name."""
    paths = [Path(root) / kind / f"{frame_stem(index)}.{ext}" for ext in KINDS[kind]]
    return next((p for p in paths if p.exists()), paths[0])


def scan_files(root: Path, kind: str, strays: list | None = None) -> dict[int, Path]:
    """Frame files in one sub-folder as {index: path}; misnamed files go to `strays`."""
    folder, exts = Path(root) / kind, KINDS[kind]
    found: dict[int, Path] = {}
    if not folder.is_dir():
        return found
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith("."):
                continue  # atomic-write temporaries, editor files
            stem, dot, suffix = entry.name.rpartition(".")
            if dot and suffix in exts and _STEM.match(stem) and frame_stem(int(stem)) == stem:
                found[int(stem)] = Path(entry.path)
            elif strays is not None:
                strays.append(f"{kind}/{entry.name}: unexpected file (frames are {kind}/NNNNN.{'|'.join(exts)})")
    return found
