"""Train panel: runs `regolith train --json-progress ...` as a child process (never inside Kit)
and turns its JSON lines into progress and metrics.

Protocol, one JSON object per line (anything else is kept as log text):
``{"event": "start", ...}``, ``{"event": "step", "step", "epoch", "loss", "lr", "images_per_s"}``,
``{"event": "epoch", "epoch", "rock_iou", "miou"}``, ``{"event": "done", "model": path}``,
``{"event": "error", "message": text}``.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from .process import TRAIN_NEEDS, ChildTask, InterpreterError, LineProcess, PythonSetting, cli_command, parse_event

STEP_KEYS = ("step", "epoch", "loss", "lr", "images_per_s")


class TrainViewModel(ChildTask):
    def __init__(self, data_dir: str = "", out_dir: str = "", extra_args: str = "",
                 python: str | None = None, cli: list[str] | None = None,
                 interpreter: PythonSetting | None = None):
        self.data_dir, self.out_dir, self.extra_args = data_dir, out_dir, extra_args
        self.python = python
        self.interpreter = interpreter  # Kit: the configured, checked interpreter (env scrubbed)
        self.cli = cli  # the `regolith` command as argv; tests point it at a fake trainer
        self.proc: LineProcess | None = None
        self._reset()

    def _reset(self) -> None:
        self.state = "idle"  # idle | running | done | error | stopped
        self.metrics: dict = {}
        self.losses: list[tuple[int, float]] = []
        self.epochs: list[dict] = []
        self.total_steps: int | None = None
        self.model_path: str | None = None
        self.message = ""
        self.log: list[str] = []

    @property
    def running(self) -> bool:
        return self.state == "running"

    def validate(self) -> list[str]:
        problems = []
        if not self.data_dir:
            problems.append("dataset folder: required")
        elif not Path(self.data_dir).is_dir():
            problems.append(f"dataset folder: {self.data_dir} does not exist")
        if not self.out_dir:
            problems.append("output folder: required")
        try:
            shlex.split(self.extra_args)
        except ValueError as exc:
            problems.append(f"extra arguments: {exc}")
        return problems

    def command(self) -> list[str]:
        """The child's argv; raises InterpreterError when the interpreter cannot run training."""
        if self.cli:
            base = self.cli
        elif self.interpreter is not None:
            base = self.interpreter.command(TRAIN_NEEDS)
        else:
            base = cli_command(self.python)
        return [*base, "train", "--json-progress", "--data", str(self.data_dir),
                "--out", str(self.out_dir), *shlex.split(self.extra_args)]

    def start(self) -> bool:
        if self.running:
            return False
        self._reset()
        problems = self.validate()
        if problems:
            self.state, self.message = "error", "; ".join(problems)
            return False
        try:
            argv = self.command()
            env = self.interpreter.env() if self.interpreter is not None else None
            self.proc = LineProcess(argv, base_env=env)
        except InterpreterError as exc:
            self.state, self.message = "error", f"error: {exc}"
            return False
        except OSError as exc:
            self.state, self.message = "error", f"cannot start the trainer: {exc}"
            return False
        self.state, self.message = "running", "starting"
        return True

    def _exited(self, rc: int, stopped: bool, last_line: str) -> None:
        if stopped:
            self.state, self.message = "stopped", "stopped"
        elif rc == 0 and self.model_path:
            self.state = "done"
        else:
            self.state = "error"
            why = f"exited with code {rc}" if rc else "finished without reporting a model"
            self.message = f"error: trainer {why}" + (f": {last_line}" if last_line else "")

    def _handle(self, line: str) -> None:
        event = parse_event(line)
        if event is None:
            self.log.append(line)
            return
        kind = event["event"]
        if kind == "start":
            self.total_steps = event.get("total_steps") or event.get("steps")
            self.message = "training"
        elif kind == "step":
            self.metrics.update({k: event[k] for k in STEP_KEYS if k in event})
            if "step" in event and "loss" in event:
                self.losses.append((int(event["step"]), float(event["loss"])))
        elif kind == "epoch":
            self.epochs.append(event)
            self.metrics.update({k: event[k] for k in ("epoch", "rock_iou", "miou") if k in event})
        elif kind == "done":
            self.metrics.update({k: event[k] for k in ("step", "epoch", "rock_iou", "miou") if k in event})
            self.model_path = event.get("model") or event.get("model_path")
            self.state, self.message = "done", f"model written to {self.model_path}"
        elif kind == "error":
            self.state, self.message = "error", f"error: {event.get('message', 'unknown')}"

    @property
    def progress(self) -> float:
        if self.state == "done":
            return 1.0
        step = self.metrics.get("step")
        if not self.total_steps or step is None:
            return 0.0
        return max(0.0, min(1.0, float(step) / float(self.total_steps)))

    def summary(self) -> str:
        m = self.metrics
        parts = [self.state]
        if "step" in m:
            parts.append(f"step {m['step']}" + (f"/{self.total_steps}" if self.total_steps else ""))
        for key, fmt in (("loss", "loss {:.4f}"), ("lr", "lr {:.2e}"), ("images_per_s", "{:.1f} img/s"),
                         ("rock_iou", "rock IoU {:.3f}"), ("miou", "mIoU {:.3f}")):
            if key in m:
                parts.append(fmt.format(m[key]))
        return " | ".join(parts)

    def stop(self) -> None:
        if self.proc is not None and self.proc.running:
            self.proc.stop()
            self.poll()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the child exits and every line is applied (tests and shutdown)."""
        if self.proc is not None:
            self.proc.wait(timeout)
            self.poll()
        return self.state
