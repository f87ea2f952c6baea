"""Train a SegFormer on a regolith dataset; resumable exactly after a kill.

A run directory holds `checkpoint.pt` (model, optimizer, schedule, RNG states, step, epoch and
position inside the epoch; rewritten atomically each epoch, every `checkpoint_every` steps and on
SIGINT/SIGTERM), `train_config.json`, and at the end `model/` (save_pretrained + preprocessor),
`metrics.json` (whole-val-set confusion matrix) and `curve.png`. Data order and augmentation
draw from (seed, epoch, position) and (seed, step), and the global torch RNG (read by dropout
and drop-path) is saved, so `--resume` reproduces an uninterrupted run bit for bit on CPU.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..config.files import config_to_dict
from ..config.train import TrainConfig
from ..errors import ConfigError, DatasetError
from ..io import atomic_write_text
from .checkpoint import StopFlag, load_checkpoint, save_checkpoint
from .progress import Progress, plot_curve
from .step import TrainStep, validation_matrix

CHECKPOINT = "checkpoint.pt"


SPARSE_HISTORY = ("rock_recall", "objects_found", "rock_share")  # with each <group>_as_rock, per epoch


def lr_factor(step: int, total: int, cfg: TrainConfig) -> float:
    """Multiplier of the peak lr at `step`: linear warm-up, then poly(0.9)/cosine decay to 0."""
    warm = int(cfg.warmup_fraction * total)
    if step < warm:
        return (step + 1) / warm
    if cfg.schedule == "constant":
        return 1.0
    t = min(1.0, (step - warm) / max(1, total - warm))
    return (1 - t) ** 0.9 if cfg.schedule == "poly" else 0.5 * (1 + math.cos(math.pi * t))


def _param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or "norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _preflight(model: str, batch_size: int, image_size: int, workers: int, force: bool) -> str:
    """The memory verdict for this job; MemoryPreflightError if it would not fit (unless forced)."""
    from ..memory import estimate_train, preflight

    return preflight(estimate_train(batch_size=batch_size, image_size=image_size, model=model, workers=workers),
                     force=force)


@dataclass
class TrainingData:
    train: list  # learn.data.Sample
    val: list
    val_source: str  # where validation frames come from, for train_config.json and metrics.json

    @property
    def sparse_val(self) -> bool:
        """Validation frames with sparse (COCO) labels: scored by learn.sparse, not IoU alone."""
        return bool(self.val) and all(s.labels for s in self.val)


def load_training_data(data, val, cfg: TrainConfig, cache=None, labelmap=None) -> TrainingData:
    """Scan and check the frames (every mask decoded once, in seconds), split off validation.
    COCO sets (sparse labels) get their masks rasterized into `cache`/train and /val."""
    from . import data as trainset

    cache = Path(cache) if cache else None
    samples = trainset.scan(data, cache and cache / "train", labelmap)
    if val:
        val_s = trainset.scan(val, cache and cache / "val", labelmap)
        train_s, source = samples, str(Path(val).resolve())
    else:
        train_s, val_s = trainset.split_by_terrain(samples, cfg.val_fraction, cfg.seed, data)
        source = f"terrains {sorted({s.terrain_seed for s in val_s})} of {Path(data).resolve()}"
    trainset.check_samples(train_s + val_s)
    if len(train_s) < cfg.batch_size:
        raise DatasetError(f"{len(train_s)} training frames are fewer than one batch of {cfg.batch_size}; "
                           "lower --batch-size or generate more frames")
    return TrainingData(train_s, val_s, source)


def initial_model(cfg: TrainConfig, init=None):
    """A fresh SegFormer seeded by the run's seed, or the `init` model to fine-tune (in fp32)."""
    import torch

    from .model import build_model, load_model, size_of

    if not init:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            return build_model(cfg.model)
    model = load_model(init).float()  # a checkpoint saved in fp16 (ours ships so) trains in fp32
    if size_of(model.config) != cfg.model:
        raise ConfigError(f"--init {init} is a SegFormer-{size_of(model.config) or 'custom'}, "
                          f"not {cfg.model}; pass --model {size_of(model.config) or '...'} to fine-tune it")
    return model


def train(data, out, cfg: TrainConfig, *, val=None, init=None, resume: bool = False, device="auto",
          max_steps: int | None = None, progress=None, force: bool = False, labelmap=None) -> dict:
    """Run (or resume) training into `out`; returns the `done` event's fields."""
    from .inference import resolve_device
    from .model import check_config

    out, device = Path(out), resolve_device(device)
    ckpt_path = out / CHECKPOINT
    if resume and not ckpt_path.is_file():
        raise ConfigError(f"--resume: {ckpt_path} not found; drop --resume to start a new run in {out}")
    if not resume and ckpt_path.is_file():
        raise ConfigError(f"{out} already holds a run ({CHECKPOINT}); add --resume to continue it, or pick another --out")
    if init:
        check_config(init)  # a wrong --init fails before minutes of dataset checks
    frames = load_training_data(data, val, cfg, out / "labels", labelmap)
    auto_workers = min(16, max(1, (os.cpu_count() or 2) - 2)) if device.type == "cuda" else 0  # 2 cores: main + pin
    workers = cfg.workers if cfg.workers >= 0 else auto_workers
    memory_note = _preflight(cfg.model, cfg.batch_size, cfg.image_size, workers, force)
    run = TrainingRun(out, cfg, frames, initial_model(cfg, init), device, workers, progress or Progress())
    run.start(resume, data, init, memory_note)
    run.loop(max_steps)
    return run.finish()


class TrainingRun:
    """One run's model, optimizer, schedule, loaders and state `st` (what a checkpoint holds)."""

    def __init__(self, out: Path, cfg: TrainConfig, frames: TrainingData, model, device, workers: int, progress):
        import torch

        from . import data as trainset

        self.out, self.cfg, self.frames, self.device, self.workers, self.progress = (
            out, cfg, frames, device, workers, progress)
        self.ckpt_path = out / CHECKPOINT
        self.model = model.to(device).to(memory_format=torch.channels_last).train()
        self.train_loader, self.sampler, self.val_loader = trainset.make_loaders(
            frames.train, frames.val, cfg.image_size, cfg.batch_size, cfg.augment, cfg.seed, workers,
            device.type == "cuda")
        self.steps_per_epoch = self.sampler.batches_per_epoch()
        self.total = cfg.epochs * self.steps_per_epoch
        self.opt = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr,
                                     fused=device.type == "cuda" or None)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: lr_factor(s, self.total, cfg))
        self.split = {"train": [s.index for s in frames.train], "val": [s.index for s in frames.val]}
        self.st = {"step": 0, "epoch": 0, "batch": 0, "loss_sum": 0.0, "loss_count": 0, "history": [],
                   "split": self.split}
        self.metrics = None  # the last validation's summary

    def start(self, resume: bool, data, init, memory_note) -> None:
        """Load the checkpoint (or seed a fresh run), record the run's config, announce it."""
        import torch

        self.data, self.init = data, init
        cfg = self.cfg
        if resume:
            self.st = load_checkpoint(self.ckpt_path, self.model, self.opt, self.sched, self.device)
            if self.st["split"] != self.split:
                raise DatasetError(f"the frames of {data} changed since {self.out} started; resume with the same "
                                   "data or start a new --out")
        else:
            torch.manual_seed(cfg.seed + 1)  # dropout / drop-path read the global RNG; saved in checkpoints
        atomic_write_text(self.out / "train_config.json", json.dumps({
            "config": config_to_dict(cfg), "data": str(Path(data).resolve()), "val": self.frames.val_source,
            "init": str(init) if init else None, "device": str(self.device), "workers": self.workers,
            "torch": torch.__version__, "train_frames": len(self.frames.train),
            "val_frames": len(self.frames.val)}, indent=2) + "\n")
        self.train_step = TrainStep(self.model, self.opt, self.sched, cfg, self.device)
        n_params = sum(p.numel() for p in self.model.parameters())
        self.progress.event("start", run_dir=str(self.out), device=str(self.device), model=cfg.model,
                            parameters=n_params, train_frames=len(self.frames.train), val_frames=len(self.frames.val),
                            steps_per_epoch=self.steps_per_epoch, total_steps=self.total, step=self.st["step"],
                            epoch=self.st["epoch"], epochs=cfg.epochs, resumed=resume, memory=memory_note)
        self.progress.begin(self.total, self.st["step"])

    def checkpoint(self) -> None:
        save_checkpoint(self.ckpt_path, self.model, self.opt, self.sched, self.st, self.device)

    def validate(self) -> dict:
        from .metrics import summarize

        self.metrics = summarize(validation_matrix(self.model, self.val_loader, self.cfg.image_size, self.device))
        if self.frames.sparse_val:  # IoU over labelled pixels only says little: add what sparse labels support
            from .sparse import sparse_validation

            self.metrics["sparse"] = sparse_validation(self.model, self.frames.val, self.cfg.image_size, self.device)
        return self.metrics

    def end_epoch(self, t_epoch: float) -> None:
        """Validation, a history entry, the epoch checkpoint."""
        st, metrics = self.st, self.validate()
        st["history"].append({"epoch": st["epoch"] + 1, "step": st["step"],
                              "loss": st["loss_sum"] / max(1, st["loss_count"]),
                              "lr": self.sched.get_last_lr()[0], "seconds": round(time.perf_counter() - t_epoch, 3),
                              "miou": metrics["miou"], "rock_iou": metrics["rock_iou"],
                              "pixel_accuracy": metrics["pixel_accuracy"],
                              **{k: v for k, v in metrics.get("sparse", {}).items() if k in SPARSE_HISTORY or
                                 k.endswith("_as_rock")}})
        st.update(epoch=st["epoch"] + 1, batch=0, loss_sum=0.0, loss_count=0)
        self.checkpoint()
        self.progress.event("epoch", **st["history"][-1], per_class_iou=metrics["per_class_iou"])

    def loop(self, max_steps: int | None = None) -> None:
        """Steps until the last epoch ends, `max_steps` is reached, or SIGINT/SIGTERM (checkpointed)."""
        import torch

        cfg, st = self.cfg, self.st
        if (max_steps and st["step"] >= max_steps) or st["epoch"] >= cfg.epochs:
            return  # resumed with the budget already spent, or a finished run
        loss_acc = torch.zeros((), device=self.device)
        with StopFlag() as stop:
            self.sampler.set_epoch(st["epoch"], st["batch"], cfg.epochs)  # all remaining epochs, one stream
            t_epoch = time.perf_counter()
            for images, masks in self.train_loader:
                loss = self.train_step(images, masks, st["step"])
                loss_acc += loss
                st["step"] += 1
                st["batch"] += 1
                st["loss_count"] += 1
                at_end = st["batch"] == self.steps_per_epoch
                self.progress.step(st["step"], st["epoch"] + 1, loss, self.sched.get_last_lr()[0], cfg.batch_size,
                                   force=at_end)
                budget_spent = bool(max_steps and st["step"] >= max_steps)
                if at_end or stop.set or budget_spent or (cfg.checkpoint_every and st["step"] % cfg.checkpoint_every == 0):
                    st["loss_sum"] += float(loss_acc)
                    loss_acc.zero_()
                    if at_end:
                        self.end_epoch(t_epoch)
                        t_epoch = time.perf_counter()
                    else:
                        self.checkpoint()
                if stop.set:
                    raise KeyboardInterrupt
                if budget_spent:
                    break

    def finish(self) -> dict:
        """Save the model, metrics.json and curve.png; return the `done` event's fields."""
        from .model import save_model

        st, out = self.st, self.out
        metrics = self.metrics or self.validate()  # stopped before the first epoch ended, or a finished run
        model_dir = save_model(self.model, out / "model", self.cfg.image_size)
        from .provenance import write_trained_on

        write_trained_on(model_dir, self.data, self.init, self.frames)
        complete = st["epoch"] >= self.cfg.epochs
        report = {"run_dir": str(out), "model": str(model_dir), "epoch": st["epoch"], "step": st["step"],
                  "complete": complete, "val_frames": len(self.frames.val), "val": self.frames.val_source, **metrics}
        metrics_path = atomic_write_text(out / "metrics.json", json.dumps(report, indent=2) + "\n")
        curve = plot_curve(st["history"], out / "curve.png") if st["history"] else None
        done = {"metrics": str(metrics_path), "model": str(model_dir), "checkpoint": str(self.ckpt_path),
                "curve": str(curve) if curve else None, "step": st["step"], "epoch": st["epoch"],
                "complete": complete, "miou": metrics["miou"], "rock_iou": metrics["rock_iou"],
                **({"rock_recall": metrics["sparse"]["rock_recall"]} if "sparse" in metrics else {})}
        self.progress.end()
        self.progress.event("done", **done)
        return done
