"""What every export reads: a dataset's complete frames with their typed records, read ahead on threads.

Exports stream: frames are read a few at a time, in index order, and at most `ahead` of them wait
in memory, so a dataset of any size exports in bounded memory.
"""
from __future__ import annotations

import os
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import ConfigError, DatasetError
from ...plan.io import read_records
from ...plan.record import FrameRecord
from ..layout import dataset_dir, frame_done, frame_path, frame_stem, required_kinds

SPLIT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SourceFrame:
    index: int
    record: FrameRecord
    paths: dict  # kind -> Path: rgb, mask, depth, and instance when the dataset has them

    @property
    def stem(self) -> str:
        return frame_stem(self.index)

    def newest_mtime(self) -> float:
        """When its newest file was written: an export older than that is stale."""
        return max(os.stat(p).st_mtime for p in self.paths.values())


@dataclass(frozen=True)
class Source:
    root: Path
    frames: list  # SourceFrame, by index
    skipped: int  # frames in frames.jsonl that are not complete on disk
    instances: bool


def open_source(root, need_instances: bool = False) -> Source:
    """The complete frames of a dataset; DatasetError when there are none (or no instances when needed)."""
    root = dataset_dir(root)
    kinds = required_kinds(root)
    instances = "instance" in kinds
    if need_instances and not instances:
        raise DatasetError(f"{root} has no instance/ folder: rock instances come from generating it with "
                           "--set render.instances=true (docs/dataset-format.md)")
    records = read_records(root)
    frames = [SourceFrame(i, r, {k: frame_path(root, k, i) for k in kinds})
              for i, r in sorted(records.items()) if frame_done(root, i, instances)]
    if not frames:
        raise DatasetError(f"{root}: no complete frame (frames.jsonl plus rgb/, mask/, depth/"
                           f"{', instance/' * instances}); run `regolith stats {root} --check`")
    return Source(root, frames, len(records) - len(frames), instances)


def require(module: str, fmt: str, package: str) -> None:
    """A clear error when an export's library is missing (the `hf` one is an optional extra)."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise DatasetError(f"--format {fmt} needs {package}: pip install {package}")


def check_split(split: str) -> str:
    if not SPLIT.match(split):
        raise ConfigError(f"--split {split!r}: a name of letters, digits and _ (train, validation, test)")
    return split


def read_png(path: Path) -> np.ndarray:
    """A mask or instance PNG as its integer array (uint8 or uint16)."""
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im)


def read_ahead(fn, items, workers: int = 2, ahead: int = 8, desc: str = "export", progress: bool = True):
    """`fn(item)` for each item on `workers` threads, yielded in order; at most `ahead` results wait."""
    from tqdm import tqdm

    items = list(items)
    bar = tqdm(total=len(items), desc=desc, unit="frame", disable=None if progress else True, smoothing=0.1)
    pending: deque = deque()
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="export") as pool:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
                bar.update(1)
        while pending:
            yield pending.popleft().result()
            bar.update(1)
    bar.close()


@dataclass
class ExportReport:
    format: str
    out: Path
    frames: int  # frames in the export
    skipped: int  # frames of frames.jsonl not complete on disk, left out
    reused: int  # frames already exported and up to date (resume)
    seconds: float
    extra: dict = field(default_factory=dict)

    @property
    def frames_per_s(self) -> float:
        done = self.frames - self.reused
        return done / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        parts = [f"exported {self.frames} frames as {self.format} to {self.out}"]
        if self.reused:
            parts.append(f"{self.reused} were up to date")
        parts += [f"{k} {v}" for k, v in self.extra.items()]
        if self.skipped:
            parts.append(f"{self.skipped} incomplete frames left out (regolith stats DIR --check)")
        return "; ".join(parts) + f" ({self.seconds:.1f} s, {self.frames_per_s:.1f} frames/s)"
