"""Train a SegFormer on a regolith dataset; resumable exactly after a kill.

A run directory holds `checkpoint.pt` (model, optimizer, schedule, RNG states, step, epoch and
position inside the epoch; rewritten atomically each epoch, every `checkpoint_every` steps and on
SIGINT/SIGTERM), `train_config.json`, and at the end `model/` (save_pretrained + preprocessor),
`metrics.json` (whole-val-set confusion matrix) and `curve.png`. Data order and augmentation
draw from (seed, epoch, position) and (seed, step), and the global torch RNG (read by dropout
and drop-path) is saved, so `--resume` reproduces an uninterrupted run bit for bit on CPU.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from .augment import AugmentConfig, switch
from .config import build_section, choice, merge, num, read_toml
from .errors import ConfigError, DatasetError
from .io import atomic_write_bytes, atomic_write_text
from .segformer import SIZES

CHECKPOINT = "checkpoint.pt"
RUNTIME_FIELDS = ("workers",)  # may change on --resume without changing the result


@dataclass(frozen=True)
class TrainConfig:
    model: str = choice("b0", tuple(SIZES), "SegFormer size (MiT-b0 .. b5)")
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
    augment: AugmentConfig = field(default_factory=AugmentConfig)


def config_from_dict(data: dict) -> TrainConfig:
    """Validate a `[train]` table; one ConfigError listing every problem."""
    problems: list[str] = []
    cfg = build_section(TrainConfig, data, "train.", problems)
    if not problems and cfg.image_size % 32:
        problems.append(f"train.image_size: {cfg.image_size} is not a multiple of 32 (SegFormer's total stride)")
    if problems:
        raise ConfigError("; ".join(problems))
    return cfg


def config_to_dict(cfg) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(cfg)))  # tuples -> lists


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
        return config_from_dict(merge(saved, explicit))
    data: dict = {}
    if path:
        doc = read_toml(path)
        if "train" not in doc:
            raise ConfigError(f"{path}: no [train] table (keys: {', '.join(f.name for f in dataclasses.fields(TrainConfig))})")
        data = doc["train"]
    return config_from_dict(merge(data, explicit))


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
        from . import memory
    except ImportError:
        return None
    estimate, check = getattr(memory, "estimate_train", None), getattr(memory, "preflight", None)
    if estimate is None or check is None:
        return None
    return check(estimate(batch_size=batch_size, image_size=image_size, model=model, workers=workers), force=force)


class _StopFlag:
    """SIGINT/SIGTERM ask for a checkpoint at the next step boundary; a second SIGINT aborts."""

    def __init__(self):
        self.set, self._old = False, {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no handlers, kills lose the partial epoch
                pass
        return self

    def _handle(self, signum, frame):
        self.set = True
        signal.signal(signum, self._old.get(signum, signal.SIG_DFL))

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _save_checkpoint(path, model, opt, sched, state: dict, device) -> None:
    import torch

    state = dict(state, model=model.state_dict(), optimizer=opt.state_dict(), scheduler=sched.state_dict(),
                 rng_cpu=torch.get_rng_state(),
                 rng_cuda=torch.cuda.get_rng_state(device) if device.type == "cuda" else None)
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def _load_checkpoint(path, model, opt, sched, device) -> dict:
    import torch

    from .errors import ModelError

    try:
        state = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict(state.pop("model"))
        opt.load_state_dict(state.pop("optimizer"))
        sched.load_state_dict(state.pop("scheduler"))
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise ModelError(f"{path}: unusable checkpoint ({str(exc).splitlines()[0] if str(exc) else exc!r}); "
                         "delete it to start over") from None
    torch.set_rng_state(state.pop("rng_cpu").cpu())
    cuda_state = state.pop("rng_cuda")
    if cuda_state is not None and device.type == "cuda":
        torch.cuda.set_rng_state(cuda_state.cpu(), device)
    return state


class TrainStep:
    """One optimizer step on a uint8 (B, S, S, 3) batch: photometric augmentation on the device
    (generator seeded by (seed, step)), bf16 autocast + channels_last on CUDA, CE loss at full size
    ignoring 255 (+ Lovasz-softmax if weighted), AdamW, schedule. Returns the detached loss (no
    host sync)."""

    def __init__(self, model, opt, sched, cfg: TrainConfig, device):
        import torch

        from .segformer import IMAGENET_MEAN, IMAGENET_STD

        self.model, self.opt, self.sched, self.cfg, self.device = model, opt, sched, cfg, device
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1) * 255
        self.amp = dict(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
        self.forward = model
        if cfg.compile and device.type == "cuda":
            self.forward = torch.compile(model)

    def __call__(self, images, masks, step: int):
        import torch
        import torch.nn.functional as F

        from .augment import photometric
        from .losses import lovasz_softmax
        from .segformer import upsample_bilinear

        cfg, dev = self.cfg, self.device
        g = torch.Generator(device=dev).manual_seed(cfg.seed * 1_000_003 + step)
        x = images.to(dev, non_blocking=True).permute(0, 3, 1, 2).float()
        y = masks.to(dev, non_blocking=True).long()
        x = ((photometric(x, g, cfg.augment) - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        with torch.autocast(**self.amp):
            logits = self.forward(pixel_values=x).logits
        logits = upsample_bilinear(logits.float(), y.shape[-2:])
        valid = (y != 255).sum().clamp_min(1)  # an all-ignore batch gives 0 loss, not nan
        loss = F.cross_entropy(logits, y, ignore_index=255, reduction="sum") / valid
        if cfg.lovasz_weight > 0:
            loss = loss + cfg.lovasz_weight * lovasz_softmax(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.opt.step()
        self.sched.step()
        return loss.detach()


def evaluate(model, loader, size: int, device):
    """Confusion matrix over the whole loader, predicted like `Segmenter` does at inference."""
    import torch

    from .inference import Segmenter
    from .metrics import ConfusionMatrix

    seg = Segmenter(model, (size, size), device=device)
    cm = ConfusionMatrix()
    for images, masks in loader:
        groups: dict = {}
        for im, m in zip(images, masks):
            groups.setdefault(tuple(im.shape), []).append((im, m))
        for pairs in groups.values():
            pred = seg.predict_tensor(torch.stack([p[0] for p in pairs]))
            cm.update(torch.stack([p[1] for p in pairs]).to(device), pred)
    model.train()
    return cm.matrix


def train(data, out, cfg: TrainConfig, *, val=None, init=None, resume: bool = False, device="auto",
          max_steps: int | None = None, progress=None, force: bool = False) -> dict:
    """Run (or resume) training into `out`; returns the `done` event's fields."""
    import torch

    from . import trainset
    from .inference import resolve_device
    from .metrics import summarize
    from .segformer import build_model, check_config, load_model, save_model, size_of

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
        st = _load_checkpoint(ckpt_path, model, opt, sched, device)
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
        _save_checkpoint(ckpt_path, model, opt, sched, st, device)

    def run_val():
        cm = evaluate(model, val_loader, cfg.image_size, device)
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
    with _StopFlag() as stop:
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
    curve = _plot_curve(st["history"], out / "curve.png") if st["history"] else None
    done = {"metrics": str(metrics_path), "model": str(model_dir), "checkpoint": str(ckpt_path),
            "curve": str(curve) if curve else None, "step": st["step"], "epoch": st["epoch"],
            "complete": complete, "miou": metrics["miou"], "rock_iou": metrics["rock_iou"]}
    progress.end()
    progress.event("done", **done)
    return done


class Progress:
    """tqdm bar on a terminal, plain lines otherwise; with `json_lines`, one JSON object per event
    on stdout. Step events are throttled to one per `interval` s (loss read back only then)."""

    def __init__(self, json_lines: bool = False, interval: float = 1.0, stream=None):
        import sys

        self.json, self.interval, self.stream = json_lines, interval, stream or sys.stdout
        self.bar, self._t, self._images = None, None, 0

    def event(self, name: str, **fields) -> None:
        if self.json:
            print(json.dumps({"event": name, **fields}), file=self.stream, flush=True)
            return
        if name == "start":
            line = (f"training SegFormer-{fields['model']} ({fields['parameters'] / 1e6:.1f} M parameters) on "
                    f"{fields['device']}: {fields['train_frames']} train / {fields['val_frames']} val frames, "
                    f"{fields['total_steps']} steps" + (f", resuming at step {fields['step']}" if fields["resumed"] else ""))
        elif name == "epoch":
            line = (f"epoch {fields['epoch']}: loss {fields['loss']:.4f}  val mIoU {_fmt(fields['miou'])}  "
                    f"rock IoU {_fmt(fields['rock_iou'])}")
        elif name == "done":
            line = (f"{'done' if fields['complete'] else 'stopped'} at step {fields['step']}: mIoU {_fmt(fields['miou'])}, "
                    f"rock IoU {_fmt(fields['rock_iou'])}; model {fields['model']}, metrics {fields['metrics']}")
        else:
            return
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line, file=self.stream, flush=True)

    def begin(self, total: int, initial: int) -> None:
        import sys

        self._t = time.perf_counter()
        if not self.json and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)

    def step(self, step, epoch, loss, lr, batch_size, force=False) -> None:
        self._images += batch_size
        if self.bar is not None:
            self.bar.update(1)
        now = time.perf_counter()
        if not (force or step == 1 or now - self._t >= self.interval) or not (self.json or self.bar):
            return
        ips = self._images / max(now - self._t, 1e-9)
        self._t, self._images = now, 0
        loss = float(loss)
        if self.json:
            self.event("step", step=step, epoch=epoch, loss=loss, lr=lr, images_per_s=round(ips, 2))
        else:
            self.bar.set_postfix(epoch=epoch, loss=f"{loss:.4f}", lr=f"{lr:.2e}", img_s=f"{ips:.0f}")

    def end(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _plot_curve(history: list[dict], path: Path) -> Path:
    """Loss and val IoUs per epoch as a PNG (matplotlib Agg: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    ep = [h["epoch"] for h in history]
    fig = Figure(figsize=(8, 3.2), dpi=100)
    a, b = fig.subplots(1, 2)
    a.plot(ep, [h["loss"] for h in history], marker="o")
    a.set(xlabel="epoch", ylabel="train loss", title="loss")
    for key in ("miou", "rock_iou"):
        b.plot(ep, [h[key] if h[key] is not None else float("nan") for h in history], marker="o", label=key)
    b.set(xlabel="epoch", ylabel="IoU (val)", ylim=(0, 1), title="validation")
    b.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return atomic_write_bytes(path, buf.getvalue())
