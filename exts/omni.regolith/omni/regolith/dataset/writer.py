"""Writing a dataset: frames atomically through a thread pool, the identity check, the manifest.

Each file is written atomically, and a frame counts as done only when its rgb, mask and depth
(and instance, with `render.instances`) files all exist, so a job killed at any instant (even `kill -9`) resumes by rendering exactly
the frames that are missing.
"""
from __future__ import annotations

import json
import platform
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from .. import __version__
from ..config.files import config_to_dict, config_to_toml
from ..config.scene import Config, config_from_dict
from ..errors import ConfigError, DatasetError
from ..io import atomic_write_bytes, atomic_write_text, npy_bytes, png_bytes
from .layout import CLASS_IDS, OPTIONAL, SUBDIRS, depth_png16_bytes, frame_done, frame_paths


def encode_frame(root: Path, index: int, rgb: np.ndarray, mask: np.ndarray, depth: np.ndarray,
                 depth_format: str = "npy", instance: np.ndarray | None = None) -> None:
    """Encode and write one frame; rgb last, so a present rgb implies a finished frame."""
    paths = frame_paths(root, index, depth_format)
    data = depth_png16_bytes(depth) if depth_format == "png16" else npy_bytes(depth.astype(np.float32))
    atomic_write_bytes(paths["depth"], data)
    if instance is not None:
        atomic_write_bytes(paths["instance"], png_bytes(Image.fromarray(instance.astype(np.uint16))))
    atomic_write_bytes(paths["mask"], png_bytes(Image.fromarray(mask.astype(np.uint8), "L")))
    atomic_write_bytes(paths["rgb"], png_bytes(Image.fromarray(rgb.astype(np.uint8), "RGB")))


class DatasetWriter:
    """Writes frames through a thread pool (PNG/zlib release the GIL), so rendering never waits on I/O."""

    def __init__(self, root: str | Path, workers: int = 4, max_pending: int = 16, depth_format: str = "npy"):
        self.root = Path(root)
        self.depth_format = depth_format
        for sub in SUBDIRS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="regolith-writer")
        self._pending: list = []
        self._max_pending = max_pending

    def write_frame(self, index: int, rgb, mask, depth, instance=None, finish=None) -> None:
        """Queue a frame; `finish()` -> (rgb, mask, depth, instance), if given, runs first on the writer's
        thread (the photoreal levers' develop step: numpy work kept off the render loop)."""
        if finish is None:
            job = self._pool.submit(encode_frame, self.root, index, rgb, mask, depth, self.depth_format,
                                    instance)
        else:
            job = self._pool.submit(self._finish_and_encode, index, finish)
        self._pending.append(job)
        if len(self._pending) >= self._max_pending:
            self._pending.pop(0).result()  # back-pressure: bounded memory, and errors surface early

    def _finish_and_encode(self, index: int, finish) -> None:
        rgb, mask, depth, instance = finish()
        encode_frame(self.root, index, rgb, mask, depth, self.depth_format, instance)

    def flush(self) -> None:
        while self._pending:
            self._pending.pop(0).result()

    def close(self) -> None:
        self.flush()
        self._pool.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def software_versions() -> dict:
    versions = {"regolith": __version__, "python": platform.python_version()}
    for name in ("numpy", "mitsuba", "drjit", "pxr", "PIL"):
        try:
            mod = __import__(name)
            versions[name] = getattr(mod, "__version__", None) or getattr(mod, "version", lambda: None)()
        except Exception:  # noqa: BLE001 - a missing optional module is just not listed
            continue
    try:
        from pxr import Usd
        versions["usd"] = ".".join(map(str, Usd.GetVersion()))
    except ImportError:
        pass
    return versions


def identity(cfg: Config, width: int, height: int) -> dict:
    """What makes two runs the same dataset: the resolved config and the resolution."""
    return {"config": config_to_dict(cfg), "resolution": [width, height]}


def read_identity(root: Path) -> dict:
    """`.regolith-dataset.json` (which config and resolution made the dataset), or a DatasetError."""
    path = Path(root) / ".regolith-dataset.json"
    try:
        ident = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(ident, dict) or not isinstance(ident.get("config"), dict):
            raise ValueError("no 'config' table")
        return ident
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise DatasetError(f"{path}: unreadable ({exc}); it records which config made this dataset: restore it "
                           "(config.toml beside it holds the same config) or use a new --out folder") from None


def same_dataset(old: dict, new: dict) -> bool:
    """Whether a dataset's recorded identity is this run's. A config key added since the dataset was
    made counts at its default value (the dataset was made without it), so new switches that are
    off do not orphan existing datasets; a key since removed, or any other value, does not match."""
    if old.get("resolution") != new["resolution"]:
        return False
    try:
        return config_to_dict(config_from_dict(old["config"])) == new["config"]
    except ConfigError:
        return False


def prepare(root: Path, cfg: Config, width: int, height: int) -> None:
    """Create the folder, or accept it only if it was made with the same config and resolution."""
    root.mkdir(parents=True, exist_ok=True)
    ident_path = root / ".regolith-dataset.json"
    ident = identity(cfg, width, height)
    if ident_path.exists():
        if not same_dataset(read_identity(root), ident):
            raise DatasetError(f"{root} holds a dataset made with another config or resolution; "
                               "use a new --out folder (or delete that one)")
    elif any(not p.name.startswith(".regolith-") for p in root.iterdir()):  # our lock files may be there
        raise DatasetError(f"{root} is not empty and is not a regolith dataset; use a new --out folder")
    else:
        atomic_write_text(ident_path, json.dumps(ident, sort_keys=True))
        atomic_write_text(root / "config.toml", config_to_toml(cfg))


def remove_stale_temp_files(root: Path, older_than_s: float = 300.0) -> int:
    """Temp files left by a killed writer; young ones may belong to a concurrent shard."""
    now, removed = time.time(), 0
    for sub in SUBDIRS + OPTIONAL:
        for tmp in (root / sub).glob(".*.tmp"):
            try:
                if now - tmp.stat().st_mtime > older_than_s:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
    return removed


def write_manifest(root: Path, cfg: Config, width: int, height: int, frames: int, renderer: dict,
                   timings: dict, extra: dict | None = None) -> Path:
    """manifest.json; `extra` adds top-level keys (a scaled run's per-worker timings)."""
    done = sum(frame_done(root, i, cfg.render.instances) for i in range(frames))
    manifest = {
        "format": "regolith-dataset/1",
        "created_unix": int(time.time()),
        "seed": cfg.seed,
        "resolution": [width, height],
        "frames_planned": frames,
        "frames_complete": done,
        "classes": CLASS_IDS,
        "depth": ("uint16 PNG, planar metres x 256 along the optical axis, 0 = sky"
                  if cfg.render.depth_format == "png16" else "float32 planar metres along the optical axis, 0 = sky"),
        **({"instance": "uint16 PNG, the rock a pixel sees (stable within its layout), 0 = no rock"}
           if cfg.render.instances else {}),
        "renderer": renderer,
        "software": software_versions(),
        "git_revision": git_revision(),
        "timings": timings,
        "config": config_to_dict(cfg),
        **(extra or {}),
    }
    return atomic_write_text(root / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
