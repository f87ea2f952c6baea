"""Training progress: a tqdm bar on a terminal, plain lines otherwise, JSON lines for machines;
and the loss/IoU curve as a PNG.
"""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

from ..io import atomic_write_bytes


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
        sparse = (f", rock recall {_fmt(fields['rock_recall'])} (sparse labels)"
                  if fields.get("rock_recall") is not None else "")
        if name == "start":
            line = (f"training SegFormer-{fields['model']} ({fields['parameters'] / 1e6:.1f} M parameters) on "
                    f"{fields['device']}: {fields['train_frames']} train / {fields['val_frames']} val frames, "
                    f"{fields['total_steps']} steps" + (f", resuming at step {fields['step']}" if fields["resumed"] else ""))
        elif name == "epoch":
            line = (f"epoch {fields['epoch']}: loss {fields['loss']:.4f}  val mIoU {_fmt(fields['miou'])}  "
                    f"rock IoU {_fmt(fields['rock_iou'])}{sparse}")
        elif name == "done":
            line = (f"{'done' if fields['complete'] else 'stopped'} at step {fields['step']}: mIoU {_fmt(fields['miou'])}, "
                    f"rock IoU {_fmt(fields['rock_iou'])}{sparse}; model {fields['model']}, "
                    f"metrics {fields['metrics']}")
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


def plot_curve(history: list[dict], path: Path) -> Path:
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
