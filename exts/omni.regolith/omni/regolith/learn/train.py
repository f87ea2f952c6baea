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
from .checkpoint import StopFlag, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .distributed import all_sum, any_rank, barrier, gather
from .progress import Progress, plot_curve
from .step import TrainStep, validation_matrix

CHECKPOINT = "checkpoint.pt"
STOP_SYNC = 10  # distributed: steps between the ranks' checks of a stop signal


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
    mixed: str | None = None  # the --mix dataset whose frames joined the training split

    @property
    def sparse_val(self) -> bool:
        """Validation frames with sparse (COCO) labels: scored by learn.sparse, not IoU alone."""
        return bool(self.val) and all(s.labels for s in self.val)


def load_training_data(data, val, cfg: TrainConfig, world: int = 1, cache=None, labelmap=None) -> TrainingData:
    """Scan and check the frames (every mask decoded once, in seconds), split off validation.
    COCO sets (sparse labels) get their masks rasterized into `cache`/train and /val."""
    from . import data as trainset

    if val:  # before anything is read or cached: a refused run leaves nothing behind
        _separate(data, "--data", val)
        if cfg.mix:
            _separate(cfg.mix, "--mix", val)
    cache = Path(cache) if cache else None
    samples = trainset.scan(data, cache and cache / "train", labelmap)
    if val:
        val_s = trainset.scan(val, cache and cache / "val", labelmap)
        train_s, source = samples, str(Path(val).resolve())
    else:
        train_s, val_s = trainset.split_by_terrain(samples, cfg.val_fraction, cfg.seed, data)
        from ..dataset.coco import is_coco

        groups = "source images" if is_coco(data) else "terrains"  # a COCO set's augmented copies stay together
        source = f"{groups} {sorted({s.terrain_seed for s in val_s})} of {Path(data).resolve()}"
    if cfg.mix:  # extra training frames only: validation stays what --data / --val say
        train_s = train_s + trainset.scan(cfg.mix)
    trainset.check_samples(train_s + val_s)
    if len(train_s) < cfg.batch_size * world:
        raise DatasetError(f"{len(train_s)} training frames are fewer than one batch of {cfg.batch_size}"
                           f"{f' on each of {world} GPUs' if world > 1 else ''}; lower --batch-size or generate more frames")
    return TrainingData(train_s, val_s, source, str(Path(cfg.mix).resolve()) if cfg.mix else None)


def _separate(train, option: str, val) -> None:
    """Training frames must not be validation frames: refuse folders that are or hold each other."""
    a, b = Path(train).resolve(), Path(val).resolve()
    if a == b or a in b.parents or b in a.parents:
        raise ConfigError(f"--val {val} and {option} {train} {'are the same folder' if a == b else 'overlap'}: "
                          "validation frames must not be training frames; pass a separate dataset, or drop "
                          "--val to hold out whole terrains of --data")


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


def train(data, out, cfg: TrainConfig, **options) -> dict:
    """Run (or resume) training into `out`, locked: a second run into the same `out` is refused, not
    silently overwritten (and one refused before it starts leaves no empty `out` behind). Under
    torchrun rank 0 holds the lock for all ranks."""
    from ..lock import locked_folder
    from . import distributed

    ranks = distributed.from_env()
    if ranks is not None and not ranks.main:
        return _train(data, out, cfg, **options)
    with locked_folder(out, "this training run"):
        return _train(data, out, cfg, **options)


def _train(data, out, cfg: TrainConfig, *, val=None, init=None, resume: bool = False, device="auto",
           max_steps: int | None = None, progress=None, force: bool = False, gpus: int = 1,
           labelmap=None) -> dict:
    """Returns the `done` event's fields. `gpus` > 1: data parallel over that many processes (GPUs,
    or gloo processes with device cpu); under torchrun the ranks come from the environment."""
    from . import distributed
    from .inference import resolve_device
    from .model import check_config

    out, device = Path(out), resolve_device(device)
    ranks = distributed.from_env()
    _check_run_dir(out, resume, ranks.world if ranks else gpus)
    if init:
        check_config(init)  # a wrong --init fails before minutes of dataset checks
    if ranks is None and gpus > 1:
        if device.type == "cuda" and gpus > _cuda_count():
            raise ConfigError(f"--gpus {gpus}: torch sees {_cuda_count()} GPU(s)")
        frames = load_training_data(data, val, cfg, gpus, out / "labels", labelmap)  # once, here, not per rank
        json_lines = bool(getattr(progress, "json", False))
        return distributed.spawn(train_rank, gpus, (data, out, cfg, val, init, resume, device.type, max_steps,
                                                    json_lines, force, frames))
    if ranks is None:
        return train_rank(data, out, cfg, val, init, resume, device, max_steps, progress, force, labelmap=labelmap)
    joined = distributed.active()  # under torchrun: join the group here and leave it at the end
    try:
        return train_rank(data, out, cfg, val, init, resume, device.type, max_steps, progress, force, None, ranks,
                          labelmap)
    finally:
        if not joined:
            distributed.shutdown()


def _check_run_dir(out: Path, resume: bool, world: int) -> None:
    ckpt_path = out / CHECKPOINT
    if resume and not ckpt_path.is_file():
        raise ConfigError(f"--resume: {ckpt_path} not found; drop --resume to start a new run in {out}")
    if not resume and ckpt_path.is_file():
        raise ConfigError(f"{out} already holds a run ({CHECKPOINT}); add --resume to continue it, or pick another --out")
    saved = out / "train_config.json"
    ran_on = json.loads(saved.read_text()).get("gpus", 1) if resume and saved.is_file() else world
    if ran_on != world:  # the effective batch, the data each step sees and the schedule's steps would change
        raise ConfigError(f"--resume: {out} was trained on {ran_on} GPU(s); resume it with --gpus {ran_on}")


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count()


def train_rank(data, out, cfg, val, init, resume, device, max_steps, progress, force, frames=None, ranks=None,
               labelmap=None):
    """One process's training: the whole run, or one rank of a distributed one (`ranks`, or the
    environment's when `device` is a device type string and no ranks are given)."""
    from . import distributed

    ranks = ranks or distributed.from_env() or distributed.SINGLE
    if isinstance(device, str):
        device = distributed.init(ranks, device)
    if not ranks.main:
        progress = distributed.Silent()
    elif not isinstance(progress, Progress):  # a spawned rank gets the json flag, not the parent's stream
        progress = Progress(json_lines=bool(progress))
    frames = frames or load_training_data(data, val, cfg, ranks.world, Path(out) / "labels", labelmap)
    cores = (os.cpu_count() or 2) // ranks.world
    auto_workers = min(16, max(1, cores - 2)) if device.type == "cuda" else 0  # 2 cores: main + pin
    workers = cfg.workers if cfg.workers >= 0 else auto_workers
    memory_note = _preflight(cfg.model, cfg.batch_size, cfg.image_size, workers * ranks.world, force)
    run = TrainingRun(Path(out), cfg, frames, initial_model(cfg, init), device, workers, progress, ranks)
    run.start(resume, data, init, memory_note)
    run.loop(max_steps)
    return run.finish()


class TrainingRun:
    """One run's model, optimizer, schedule, loaders and state `st` (what a checkpoint holds).
    Distributed, every rank holds one: rank 0 writes the files, all ranks load the checkpoint."""

    def __init__(self, out: Path, cfg: TrainConfig, frames: TrainingData, model, device, workers: int, progress,
                 ranks=None):
        import torch

        from . import data as trainset
        from .distributed import SINGLE

        self.out, self.cfg, self.frames, self.device, self.workers, self.progress = (
            out, cfg, frames, device, workers, progress)
        self.ranks = ranks or SINGLE
        self.ckpt_path = out / CHECKPOINT
        self.model = model.to(device).to(memory_format=torch.channels_last).train()
        self.trained = self.model  # what the step runs: the model, or its DDP wrapper
        if self.ranks.world > 1:
            self.trained = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[device.index] if device.type == "cuda" else None, gradient_as_bucket_view=True)
        self.train_loader, self.sampler, self.val_loader = trainset.make_loaders(
            frames.train, frames.val, cfg.image_size, cfg.batch_size, cfg.augment, cfg.seed, workers,
            device.type == "cuda", self.ranks.rank, self.ranks.world)
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
        cfg, ranks = self.cfg, self.ranks
        if resume:
            self.st = load_checkpoint(self.ckpt_path, self.model, self.opt, self.sched, self.device)
            if "rng_ranks" in self.st:  # a distributed run's: each rank's own
                set_rng_state(self.st.pop("rng_ranks")[ranks.rank], self.device)
            if self.st["split"] != self.split:
                raise DatasetError(f"the frames of {data} changed since {self.out} started; resume with the same "
                                   "data or start a new --out")
        else:
            torch.manual_seed(cfg.seed + 1 + ranks.rank)  # dropout / drop-path read the global RNG; saved in checkpoints
        if ranks.main:
            self._write_run_config(data, init)
        self.train_step = TrainStep(self.trained, self.opt, self.sched, cfg, self.device, ranks)
        n_params = sum(p.numel() for p in self.model.parameters())
        self.progress.event("start", run_dir=str(self.out), device=str(self.device), model=cfg.model,
                            parameters=n_params, train_frames=len(self.frames.train), val_frames=len(self.frames.val),
                            steps_per_epoch=self.steps_per_epoch, total_steps=self.total, step=self.st["step"],
                            epoch=self.st["epoch"], epochs=cfg.epochs, resumed=resume, memory=memory_note,
                            gpus=ranks.world, effective_batch=cfg.batch_size * ranks.world)
        self.progress.begin(self.total, self.st["step"])

    def _write_run_config(self, data, init) -> None:
        import torch

        cfg = self.cfg
        atomic_write_text(self.out / "train_config.json", json.dumps({
            "config": config_to_dict(cfg), "data": str(Path(data).resolve()), "val": self.frames.val_source,
            "init": str(init) if init else None, "device": str(self.device), "workers": self.workers,
            "torch": torch.__version__, "train_frames": len(self.frames.train),
            "val_frames": len(self.frames.val), "gpus": self.ranks.world,
            "effective_batch": cfg.batch_size * self.ranks.world}, indent=2) + "\n")

    def checkpoint(self) -> None:
        """Rank 0 writes it (atomically) with every rank's RNG state; a collective when distributed."""
        rngs = gather(rng_state(self.device)) if self.ranks.world > 1 else None
        if self.ranks.main:
            save_checkpoint(self.ckpt_path, self.model, self.opt, self.sched, self.st, self.device, rngs)

    def validate(self) -> dict:
        """Each rank scores its share of the validation frames; the confusion matrices are summed."""
        import torch

        from .metrics import summarize

        cm = validation_matrix(self.model, self.val_loader, self.cfg.image_size, self.device)
        if self.ranks.world > 1:
            cm = all_sum(torch.as_tensor(cm, device=self.device)).cpu().numpy()
        self.metrics = summarize(cm)
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
                stopping = self._stop_asked(stop.set)
                if at_end or stopping or budget_spent or (cfg.checkpoint_every and st["step"] % cfg.checkpoint_every == 0):
                    st["loss_sum"] += float(all_sum(loss_acc)) / self.ranks.world
                    loss_acc.zero_()
                    if at_end:
                        self.end_epoch(t_epoch)
                        t_epoch = time.perf_counter()
                    else:
                        self.checkpoint()
                if stopping:
                    raise KeyboardInterrupt
                if budget_spent:
                    break

    def _stop_asked(self, flag: bool) -> bool:
        """SIGINT/SIGTERM seen; distributed, every STOP_SYNC steps and agreed by all ranks, so all
        of them checkpoint at the same step (a per-step check would sync the host every step)."""
        if self.ranks.world == 1:
            return flag
        return self.st["step"] % STOP_SYNC == 0 and any_rank(flag, self.device)

    def finish(self) -> dict:
        """Save the model, metrics.json and curve.png; return the `done` event's fields."""
        from .model import save_model
        from .provenance import write_trained_on

        st, out = self.st, self.out
        metrics = self.metrics or self.validate()  # stopped before the first epoch ended, or a finished run
        model_dir, metrics_path, curve = out / "model", out / "metrics.json", None
        complete = st["epoch"] >= self.cfg.epochs
        if self.ranks.main:
            save_model(self.model, model_dir, self.cfg.image_size)
            write_trained_on(model_dir, self.data, self.init, self.frames)
            report = {"run_dir": str(out), "model": str(model_dir), "epoch": st["epoch"], "step": st["step"],
                      "complete": complete, "val_frames": len(self.frames.val), "val": self.frames.val_source,
                      "gpus": self.ranks.world, **metrics}
            atomic_write_text(metrics_path, json.dumps(report, indent=2) + "\n")
            curve = plot_curve(st["history"], out / "curve.png") if st["history"] else None
        barrier()
        done = {"metrics": str(metrics_path), "model": str(model_dir), "checkpoint": str(self.ckpt_path),
                "curve": str(curve) if curve else None, "step": st["step"], "epoch": st["epoch"],
                "complete": complete, "miou": metrics["miou"], "rock_iou": metrics["rock_iou"],
                **({"rock_recall": metrics["sparse"]["rock_recall"]} if "sparse" in metrics else {})}
        self.progress.end()
        self.progress.event("done", **done)
        return done
