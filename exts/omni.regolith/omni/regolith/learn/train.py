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
from pathlib import Path

from ..config.files import config_to_dict
from ..config.train import TrainConfig
from ..errors import ConfigError, DatasetError
from ..io import atomic_write_text
from .checkpoint import StopFlag, load_checkpoint, save_checkpoint
from .progress import Progress, plot_curve
from .step import TrainStep, validation_matrix

CHECKPOINT = "checkpoint.pt"


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


def _preflight(model: str, batch_size: int, image_size: int, workers: int, force: bool) -> str | None:
    """Ask `omni.regolith.memory` (when present) whether this job fits; MemoryPreflightError if not."""
    try:
        from .. import memory
    except ImportError:
        return None
    estimate, check = getattr(memory, "estimate_train", None), getattr(memory, "preflight", None)
    if estimate is None or check is None:
        return None
    return check(estimate(batch_size=batch_size, image_size=image_size, model=model, workers=workers), force=force)


def train(data, out, cfg: TrainConfig, *, val=None, init=None, resume: bool = False, device="auto",
          max_steps: int | None = None, progress=None, force: bool = False) -> dict:
    """Run (or resume) training into `out`; returns the `done` event's fields."""
    import torch

    from . import data as trainset
    from .inference import resolve_device
    from .metrics import summarize
    from .model import build_model, check_config, load_model, save_model, size_of

    progress = progress or Progress(json_lines=False)
    out, device = Path(out), resolve_device(device)
    ckpt_path = out / CHECKPOINT
    if resume and not ckpt_path.is_file():
        raise ConfigError(f"--resume: {ckpt_path} not found; drop --resume to start a new run in {out}")
    if not resume and ckpt_path.is_file():
        raise ConfigError(f"{out} already holds a run ({CHECKPOINT}); add --resume to continue it, or pick another --out")

    if init:
        check_config(init)  # a wrong --init fails before minutes of dataset checks
    samples = trainset.scan(data)
    if val:
        train_s, val_s, val_source = samples, trainset.scan(val), str(Path(val).resolve())
    else:
        train_s, val_s = trainset.split_by_terrain(samples, cfg.val_fraction, cfg.seed, data)
        val_source = f"terrains {sorted({s.terrain_seed for s in val_s})} of {Path(data).resolve()}"
    trainset.check_samples(train_s + val_s)
    if len(train_s) < cfg.batch_size:
        raise DatasetError(f"{len(train_s)} training frames are fewer than one batch of {cfg.batch_size}; "
                           "lower --batch-size or generate more frames")
    auto_workers = min(16, max(1, (os.cpu_count() or 2) - 2)) if device.type == "cuda" else 0  # 2 cores: main + pin
    workers = cfg.workers if cfg.workers >= 0 else auto_workers
    memory_note = _preflight(cfg.model, cfg.batch_size, cfg.image_size, workers, force)

    if init:
        model = load_model(init).float()  # a checkpoint saved in fp16 (ours ships so) trains in fp32
        if size_of(model.config) != cfg.model:
            raise ConfigError(f"--init {init} is a SegFormer-{size_of(model.config) or 'custom'}, "
                              f"not {cfg.model}; pass --model {size_of(model.config) or '...'} to fine-tune it")
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            model = build_model(cfg.model)
    model.to(device).to(memory_format=torch.channels_last).train()
    train_loader, sampler, val_loader = trainset.make_loaders(
        train_s, val_s, cfg.image_size, cfg.batch_size, cfg.augment, cfg.seed, workers, device.type == "cuda")
    steps_per_epoch = sampler.batches_per_epoch()
    total = cfg.epochs * steps_per_epoch
    opt = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr,
                            fused=device.type == "cuda" or None)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, total, cfg))
    split = {"train": [s.index for s in train_s], "val": [s.index for s in val_s]}
    st = {"step": 0, "epoch": 0, "batch": 0, "loss_sum": 0.0, "loss_count": 0, "history": [], "split": split}
    if resume:
        st = load_checkpoint(ckpt_path, model, opt, sched, device)
        if st["split"] != split:
            raise DatasetError(f"the frames of {data} changed since {out} started; resume with the same data "
                               "or start a new --out")
    else:
        torch.manual_seed(cfg.seed + 1)  # dropout / drop-path read the global RNG; saved in checkpoints
    atomic_write_text(out / "train_config.json", json.dumps({
        "config": config_to_dict(cfg), "data": str(Path(data).resolve()), "val": val_source,
        "init": str(init) if init else None, "device": str(device), "workers": workers,
        "torch": torch.__version__, "train_frames": len(train_s), "val_frames": len(val_s)}, indent=2) + "\n")

    train_step = TrainStep(model, opt, sched, cfg, device)
    n_params = sum(p.numel() for p in model.parameters())
    progress.event("start", run_dir=str(out), device=str(device), model=cfg.model, parameters=n_params,
                   train_frames=len(train_s), val_frames=len(val_s), steps_per_epoch=steps_per_epoch,
                   total_steps=total, step=st["step"], epoch=st["epoch"], epochs=cfg.epochs, resumed=resume, memory=memory_note)
    progress.begin(total, st["step"])

    def checkpoint():
        save_checkpoint(ckpt_path, model, opt, sched, st, device)

    def run_val():
        cm = validation_matrix(model, val_loader, cfg.image_size, device)
        return summarize(cm)

    metrics = None
    stopped = bool(max_steps and st["step"] >= max_steps)  # resumed with the budget already spent
    def end_epoch(t_epoch):
        metrics = run_val()
        st["history"].append({"epoch": st["epoch"] + 1, "step": st["step"],
                              "loss": st["loss_sum"] / max(1, st["loss_count"]),
                              "lr": sched.get_last_lr()[0], "seconds": round(time.perf_counter() - t_epoch, 3),
                              "miou": metrics["miou"], "rock_iou": metrics["rock_iou"],
                              "pixel_accuracy": metrics["pixel_accuracy"]})
        st.update(epoch=st["epoch"] + 1, batch=0, loss_sum=0.0, loss_count=0)
        checkpoint()
        progress.event("epoch", **st["history"][-1], per_class_iou=metrics["per_class_iou"])
        return metrics

    loss_acc = torch.zeros((), device=device)
    with StopFlag() as stop:
        if not stopped and st["epoch"] < cfg.epochs:
            sampler.set_epoch(st["epoch"], st["batch"], cfg.epochs)  # all remaining epochs, one stream
            t_epoch = time.perf_counter()
            for images, masks in train_loader:
                loss = train_step(images, masks, st["step"])
                loss_acc += loss
                st["step"] += 1
                st["batch"] += 1
                st["loss_count"] += 1
                progress.step(st["step"], st["epoch"] + 1, loss, sched.get_last_lr()[0], cfg.batch_size,
                              force=st["batch"] == steps_per_epoch)
                at_end = st["batch"] == steps_per_epoch
                if at_end or stop.set or cfg.checkpoint_every and st["step"] % cfg.checkpoint_every == 0 or (
                        max_steps and st["step"] >= max_steps):
                    st["loss_sum"] += float(loss_acc)
                    loss_acc.zero_()
                    if at_end:  # validation, history, checkpoint
                        metrics = end_epoch(t_epoch)
                        t_epoch = time.perf_counter()
                    else:
                        checkpoint()
                if stop.set:
                    raise KeyboardInterrupt
                if max_steps and st["step"] >= max_steps:
                    break

    if metrics is None:  # stopped before the first epoch ended, or resumed a finished run
        metrics = run_val()
    model_dir = save_model(model, out / "model", cfg.image_size)
    complete = st["epoch"] >= cfg.epochs
    report = {"run_dir": str(out), "model": str(model_dir), "epoch": st["epoch"], "step": st["step"],
              "complete": complete, "val_frames": len(val_s), "val": val_source, **metrics}
    metrics_path = atomic_write_text(out / "metrics.json", json.dumps(report, indent=2) + "\n")
    curve = plot_curve(st["history"], out / "curve.png") if st["history"] else None
    done = {"metrics": str(metrics_path), "model": str(model_dir), "checkpoint": str(ckpt_path),
            "curve": str(curve) if curve else None, "step": st["step"], "epoch": st["epoch"],
            "complete": complete, "miou": metrics["miou"], "rock_iou": metrics["rock_iou"]}
    progress.end()
    progress.event("done", **done)
    return done
