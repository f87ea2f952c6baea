"""The `[train]` table: optimizer, schedule, model size and the sim-to-real augmentation switches.

On `--resume` a run's own saved config wins, and an explicit value that contradicts it is an
error rather than a silently different run.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .fields import build_section, choice, num, pair, switch
from .files import merge, read_toml

MODEL_SIZES = ("b0", "b1", "b2", "b3", "b4", "b5")  # learn.model.SIZES holds their widths


@dataclass(frozen=True)
class AugmentConfig:
    enabled: bool = switch(True, "master switch; false trains on the renders as they are")
    crop: bool = switch(True, "random resized crop")
    crop_scale: tuple = pair((0.3, 1.0), 0.02, 1.0, "crop area as a fraction of the image")
    crop_ratio: tuple = pair((0.75, 1.333), 0.2, 5.0, "crop aspect relative to the image's own")
    flip: bool = switch(True, "horizontal flip with probability 1/2")
    exposure: bool = switch(True)
    exposure_stops: float = num(1.0, 0.0, 6.0, "uniform in +-stops (factor 2^s in linear light)")
    vignette: bool = switch(True)
    vignette_strength: float = num(0.4, 0.0, 1.0, "max light lost at the corners")
    blur: bool = switch(True)
    blur_p: float = num(0.4, 0.0, 1.0, "probability per image")
    blur_sigma_px: tuple = pair((0.3, 1.5), 0.0, 8.0, "gaussian sigma at the training size, pixels")
    noise: bool = switch(True)
    noise_read: tuple = pair((0.0, 0.02), 0.0, 0.5, "read noise std, linear units of full scale")
    noise_shot: tuple = pair((0.0, 0.03), 0.0, 0.5, "shot noise std at full scale (std ~ sqrt(signal))")
    gamma: bool = switch(True)
    gamma_range: tuple = pair((0.75, 1.35), 0.2, 5.0, "multiplies the 1/2.2 encoding exponent")
    brightness_contrast: bool = switch(True)
    brightness: float = num(0.08, 0.0, 1.0, "additive shift, fraction of full scale")
    contrast: float = num(0.25, 0.0, 1.0, "contrast factor uniform in 1 +- this")
    jpeg: bool = switch(True)
    jpeg_p: float = num(0.5, 0.0, 1.0, "probability per image")
    jpeg_quality: tuple = pair((30, 95), 1, 100)


RUNTIME_FIELDS = ("workers",)  # may change on --resume without changing the result


@dataclass(frozen=True)
class TrainConfig:
    model: str = choice("b0", MODEL_SIZES, "SegFormer size (MiT-b0 .. b5)")
    epochs: int = num(30, 1, 100000)
    batch_size: int = num(16, 1, 4096, "images per optimizer step")
    lr: float = num(6e-4, 1e-8, 1.0, "peak AdamW learning rate (from scratch; ~6e-5 to fine-tune)")
    weight_decay: float = num(0.01, 0.0, 1.0, "AdamW decay; not applied to norms and biases")
    schedule: str = choice("poly", ("poly", "cosine", "constant"), "decay after warm-up")
    warmup_fraction: float = num(0.05, 0.0, 0.5, "share of all steps with linear warm-up")
    grad_clip: float = num(1.0, 0.0, 1e6, "max global gradient norm; 0 disables")
    lovasz_weight: float = num(0.0, 0.0, 100.0, "weight of the Lovasz-softmax (IoU) term added to "
                               "cross-entropy; 0: cross-entropy alone")
    image_size: int = num(512, 32, 4096, "training crop and model input side, pixels (multiple of 32)")
    workers: int = num(-1, -1, 256, "DataLoader worker processes; -1: auto (0 on CPU)")
    seed: int = num(0, 0, 2**31 - 1)
    val_fraction: float = num(0.15, 0.01, 0.9, "share of terrains (not frames) held out for validation")
    checkpoint_every: int = num(0, 0, 10**9, "extra checkpoint every N steps; 0: each epoch only")
    compile: bool = switch(False, "torch.compile the model on CUDA (faster after a minute of compiling)")
    mix: str = field(default="", metadata={"doc": "a dataset dir whose frames join the training split (e.g. "
                                                  "synthetic frames beside a real fine-tune, so the classes the "
                                                  "real labels never show stay learned); empty: none"})
    augment: AugmentConfig = field(default_factory=AugmentConfig)


def train_config_from_dict(data: dict) -> TrainConfig:
    """Validate a `[train]` table; one ConfigError listing every problem."""
    problems: list[str] = []
    cfg = build_section(TrainConfig, data, "train.", problems)
    if not problems and cfg.image_size % 32:
        problems.append(f"train.image_size: {cfg.image_size} is not a multiple of 32 (SegFormer's total stride)")
    if problems:
        raise ConfigError("; ".join(problems))
    return cfg


def load_train_config(path=None, explicit: dict | None = None, run_dir=None, resume: bool = False) -> TrainConfig:
    """TOML `[train]` table (optional) + explicit CLI values. On resume the run's own config wins,
    and an explicit value that contradicts it is an error rather than a silently different run."""
    explicit = {k: v for k, v in (explicit or {}).items() if v is not None}
    saved_file = Path(run_dir) / "train_config.json" if run_dir else None
    if resume and saved_file and saved_file.is_file():
        saved = json.loads(saved_file.read_text())["config"]
        clash = [f"{k}={v!r} (run has {saved.get(k)!r})" for k, v in explicit.items()
                 if k not in RUNTIME_FIELDS and saved.get(k) != v]
        if clash:
            raise ConfigError(f"--resume: {', '.join(clash)}; drop those options or start a new --out")
        return train_config_from_dict(merge(saved, explicit))
    data: dict = {}
    if path:
        doc = read_toml(path)
        if "train" not in doc:
            raise ConfigError(f"{path}: no [train] table (keys: {', '.join(f.name for f in dataclasses.fields(TrainConfig))})")
        data = doc["train"]
    return train_config_from_dict(merge(data, explicit))
