"""Training data from our dataset layout (docs/dataset-format.md), checked before any GPU time.

Validation frames come from terrains the model never trains on (split by `terrain_seed`): frames
of one terrain share geometry, so a random-frame split would grade the model on near-copies of
its training images. Every frame (RGB and mask) is decoded once up front, on threads, so a bad
value or a truncated file fails in seconds with the file named, not hours later inside a
DataLoader worker.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import CLASS_NAMES, IGNORE_ID
from ..config.train import AugmentConfig
from ..dataset.layout import frame_paths
from ..errors import DatasetError
from ..plan.io import read_plan
from .augment import geometric

ALLOWED = sorted(CLASS_NAMES) + [IGNORE_ID]


ALLOWED_TEXT = ", ".join(f"{i} {n}" for i, n in CLASS_NAMES.items()) + f", {IGNORE_ID} ignore"


@dataclass(frozen=True)
class Sample:
    index: int
    rgb: str
    mask: str
    terrain_seed: int | None  # the split key: frames of one terrain (one source frame of a COCO set) stay together
    labels: str | None = None  # a COCO set's sparse label (.npz), for the sparse validation scores


def scan(root, cache=None, labelmap=None) -> list[Sample]:
    """The frames of a dataset dir, from frames.jsonl when present, else from rgb/*.png; or the
    images of a COCO set (sparse labels, masks cached under `cache`: learn.coco_data)."""
    from ..dataset.coco import is_coco

    if is_coco(root):
        from .coco_data import scan_coco

        return [Sample(*fields) for fields in scan_coco(root, cache, labelmap)]
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such dataset directory")
    frames = root / "frames.jsonl"
    samples = []
    if frames.is_file():
        for record in read_plan(frames):
            paths = frame_paths(root, record.index)
            samples.append(Sample(record.index, str(paths["rgb"]), str(paths["mask"]), record.terrain_seed))
    else:
        for p in sorted((root / "rgb").glob("*.png")) if (root / "rgb").is_dir() else ():
            index = int(p.stem) if p.stem.isdigit() else len(samples)
            samples.append(Sample(index, str(p), str(root / "mask" / p.name), None))
    if not samples:
        raise DatasetError(f"{root} holds no frames (no frames.jsonl records or rgb/*.png); "
                           "make one with `regolith generate`")
    missing = [p for s in samples for p in (s.rgb, s.mask) if not os.path.isfile(p)]
    if missing:
        raise DatasetError(f"{root}: {len(missing)} planned file(s) missing, first {missing[0]}; "
                           "was generation interrupted? rerun `regolith generate` on this dir to finish it")
    return samples


def _check_one(s: Sample) -> str | None:
    try:
        with Image.open(s.rgb) as im:
            im.load()  # decoded in full: a truncated frame fails here, not mid-epoch in a worker
            rgb_size, rgb_mode = im.size, im.mode
        with Image.open(s.mask) as im:
            if im.mode not in ("L", "P"):
                return f"{s.mask}: mode {im.mode}, expected 8-bit single channel (L)"
            mask = np.asarray(im)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return f"{s.rgb} / {s.mask}: unreadable ({exc})"
    if rgb_mode not in ("RGB", "RGBA", "L"):
        return f"{s.rgb}: mode {rgb_mode}, expected 8-bit RGB"
    if mask.shape[::-1] != rgb_size:
        return f"{s.rgb} is {rgb_size[0]}x{rgb_size[1]} but {s.mask} is {mask.shape[1]}x{mask.shape[0]}"
    counts = np.bincount(mask.ravel(), minlength=256)
    counts[ALLOWED] = 0
    if counts.any():
        bad = ", ".join(str(v) for v in np.flatnonzero(counts)[:8])
        return f"{s.mask} holds values {bad}; allowed: {ALLOWED_TEXT}"
    return None


def check_samples(samples: list[Sample], threads: int | None = None) -> None:
    """Open every frame (PIL decodes without the GIL, so threads scale); DatasetError on the first few bad."""
    threads = threads or min(16, os.cpu_count() or 1)
    with ThreadPoolExecutor(threads) as pool:
        problems = [p for p in pool.map(_check_one, samples, chunksize=16) if p]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise DatasetError("; ".join(problems[:3]) + more)


def split_by_terrain(samples: list[Sample], val_fraction: float, seed: int, root="dataset"):
    """(train, val) with whole terrains in val: round(val_fraction * terrains), at least 1, never all."""
    seeds = {s.terrain_seed for s in samples}
    if None in seeds:
        raise DatasetError(f"{root}: frames.jsonl has no terrain_seed for every frame, so there is no "
                           "terrain-wise validation split; pass --val DIR with a separate validation set")
    if len(seeds) < 2:
        raise DatasetError(f"{root}: all {len(samples)} frames share terrain_seed {seeds.pop()}; a validation "
                           "split by terrain needs at least 2 terrains: generate more, or pass --val DIR")
    ordered = sorted(seeds)
    n_val = min(len(ordered) - 1, max(1, round(val_fraction * len(ordered))))
    rng = np.random.default_rng([seed, 0x5EED])
    val_seeds = {ordered[i] for i in rng.choice(len(ordered), n_val, replace=False)}
    train = [s for s in samples if s.terrain_seed not in val_seeds]
    val = [s for s in samples if s.terrain_seed in val_seeds]
    return train, val


def load_rgb(path: str) -> Image.Image:
    im = Image.open(path)
    return im if im.mode == "RGB" else im.convert("RGB")


class TrainImages(torch.utils.data.Dataset):
    """Keys are (sample, epoch, position): the crop/flip drawn depends on nothing else."""

    def __init__(self, samples: list[Sample], size: int, aug: AugmentConfig, seed: int):
        self.samples, self.size, self.aug, self.seed = samples, size, aug, seed

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, key):
        i, epoch, pos = key
        s = self.samples[i]
        rng = np.random.default_rng([self.seed, epoch, pos])
        with Image.open(s.mask) as m:
            img, mask = geometric(load_rgb(s.rgb), m, rng, self.aug, self.size)
        return torch.from_numpy(img), torch.from_numpy(mask)  # (S, S, 3) uint8 is channels_last


class ValImages(torch.utils.data.Dataset):
    """Whole frames at their own resolution: metrics are scored on the original pixels."""

    def __init__(self, samples: list[Sample]):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        s = self.samples[i]
        with Image.open(s.mask) as m:
            mask = np.asarray(m)
        return torch.from_numpy(np.asarray(load_rgb(s.rgb)).copy()), torch.from_numpy(mask.copy())


class EpochSampler(torch.utils.data.Sampler):
    """A permutation per epoch from (seed, epoch), epochs back to back in one stream.

    One stream keeps the workers busy across epoch ends (a fresh iterator per epoch would drain
    the prefetch queue and stall the GPU for a whole batch's decoding); `start_batch` resumes
    mid-epoch. Keys are (sample, epoch, position) so what each draws is independent of workers.
    With `world` > 1 ranks, each global batch of world x batch_size positions is dealt out in rank
    order: rank r takes its r-th slice, so N ranks see what one process with N x batch_size sees,
    and a resumed run continues exactly (the deal depends on nothing but seed, epoch and batch).
    """

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.epoch, self.start_batch, self.end_epoch = 0, 0, 1

    def batches_per_epoch(self) -> int:
        return self.n // (self.batch_size * self.world)

    def set_epoch(self, epoch: int, start_batch: int = 0, end_epoch: int | None = None) -> None:
        """Iterate from batch `start_batch` of `epoch` up to (not including) `end_epoch`."""
        self.epoch, self.start_batch = epoch, start_batch
        self.end_epoch = epoch + 1 if end_epoch is None else end_epoch

    def __iter__(self):
        b, per_step = self.batch_size, self.batch_size * self.world
        for epoch in range(self.epoch, self.end_epoch):
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            first = self.start_batch if epoch == self.epoch else 0
            for batch in range(first, self.batches_per_epoch()):
                start = batch * per_step + self.rank * b
                for pos in range(start, start + b):
                    yield int(perm[pos]), epoch, pos

    def __len__(self):
        return ((self.end_epoch - self.epoch) * self.batches_per_epoch() - self.start_batch) * self.batch_size


def _collate_list(batch):
    return [b[0] for b in batch], [b[1] for b in batch]


def make_loaders(train: list[Sample], val: list[Sample], size: int, batch_size: int, aug: AugmentConfig,
                 seed: int, workers: int, pin: bool, rank: int = 0, world: int = 1):
    """(train loader, its EpochSampler, val loader). Fixed-size training batches (drop_last); with
    `world` ranks, this rank's share of each global batch and every world-th validation frame."""
    sampler = EpochSampler(len(train), batch_size, seed, rank, world)
    # Own generators: each iter() of a DataLoader otherwise draws a seed from the global torch RNG,
    # which dropout also reads, so a resumed run (one extra iter) would drift from an uninterrupted one.
    common = dict(num_workers=workers, pin_memory=pin, persistent_workers=workers > 0,
                  generator=torch.Generator().manual_seed(seed))
    if workers > 0:
        common["prefetch_factor"] = 4
    train_loader = torch.utils.data.DataLoader(TrainImages(train, size, aug, seed), batch_size=batch_size,
                                               sampler=sampler, drop_last=True, **common)
    val_loader = torch.utils.data.DataLoader(ValImages(val[rank::world]), batch_size=batch_size, shuffle=False,
                                             collate_fn=_collate_list, **common)
    return train_loader, sampler, val_loader
