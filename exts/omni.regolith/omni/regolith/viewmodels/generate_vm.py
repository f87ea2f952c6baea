"""Generate panel: frame count, resolution, output folder and backend; a memory preflight
verdict before anything starts; Start/Cancel and progress.

- "headless": runs `regolith generate ...` (Mitsuba) as a child process with the edited config
  written to a TOML file, exactly what a user would type.
- "replicator": hands a `GenerateRequest` to a launcher the Kit layer injects (it renders in the
  open stage with Replicator) and receives progress through `report()` / `finish()`.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config.files import replace
from ..errors import RegolithError
from .document import ConfigDocument
from .process import GENERATE_NEEDS, ChildTask, InterpreterError, LineProcess, PythonSetting, cli_command, parse_event

BACKENDS = ("replicator", "headless")
_COUNT = re.compile(r"(\d+)\s*/\s*(\d+)")


@dataclass(frozen=True)
class GenerateRequest:
    config: object  # omni.regolith.config.Config
    frames: int
    width: int
    height: int
    out_dir: Path


@dataclass(frozen=True)
class Verdict:
    ok: bool | None  # None: no verdict (preflight unavailable or failed to run)
    message: str


def memory_verdict(cfg, width: int, height: int, frames: int = 0) -> Verdict:
    """`omni.regolith.memory`'s verdict for generating at this size; no verdict if it fails to run."""
    from ..memory import estimate_generate, verdict
    from ..scene.rocks import triangle_bound

    try:
        need = estimate_generate(width, height, cfg.render.spp, cfg.terrain.resolution, triangle_bound(cfg),
                                 frames=frames)
        ok, text = verdict(need)
    except Exception as exc:  # noqa: BLE001 - a broken preflight must not block generation
        return Verdict(None, f"memory preflight failed to run: {exc}")
    return Verdict(bool(ok), text)


class GenerateViewModel(ChildTask):
    def __init__(self, doc: ConfigDocument, out_dir: str = "", frames: int = 100,
                 backend: str = "replicator", python: str | None = None, cli: list[str] | None = None,
                 replicator_launcher: Callable | None = None, interpreter: PythonSetting | None = None):
        self.doc = doc
        render = doc.get("render")
        self.frames, self.width, self.height = frames, render["width"], render["height"]
        self.out_dir, self.backend = out_dir, backend
        self.force = False  # run even when the memory preflight says it will not fit
        self.python, self.cli = python, cli
        self.interpreter = interpreter  # Kit: the configured, checked interpreter (env scrubbed)
        self.replicator_launcher = replicator_launcher  # (GenerateRequest, vm) -> cancel callable
        self.proc: LineProcess | None = None
        self._cancel: Callable | None = None
        self.verdict: Verdict | None = None
        self._reset()

    def sync_resolution(self) -> None:
        """Take the resolution from the config (after a TOML load)."""
        render = self.doc.get("render")
        self.width, self.height = render["width"], render["height"]

    def _reset(self) -> None:
        self.state, self.message = "idle", ""  # idle | running | done | error | cancelled
        self.done, self.total = 0, self.frames
        self.log: list[str] = []

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def progress(self) -> float:
        return 1.0 if self.state == "done" else (self.done / self.total if self.total else 0.0)

    def validate(self) -> list[str]:
        problems = [f"config: {m}" for m in self.doc.problems.values()]
        if not isinstance(self.frames, int) or self.frames < 1:
            problems.append(f"frames: {self.frames!r} must be a whole number >= 1")
        for name, v in (("width", self.width), ("height", self.height)):
            if not isinstance(v, int) or not 8 <= v <= 8192:
                problems.append(f"{name}: {v!r} must be within [8, 8192]")
        if not str(self.out_dir).strip():
            problems.append("output folder: required")
        if self.backend not in BACKENDS:
            problems.append(f"backend: {self.backend!r} is not one of {', '.join(BACKENDS)}")
        elif self.backend == "replicator" and self.replicator_launcher is None:
            problems.append("backend: replicator needs Isaac Sim (use headless here)")
        return problems

    def preflight(self) -> Verdict:
        try:
            cfg = self.doc.config()
        except RegolithError as exc:
            self.verdict = Verdict(None, f"no verdict: {exc}")
            return self.verdict
        self.verdict = memory_verdict(cfg, self.width, self.height, self.frames if isinstance(self.frames, int) else 0)
        return self.verdict

    def start(self) -> bool:
        if self.running:
            return False
        self._reset()
        self.proc, self._cancel = None, None
        problems = self.validate()
        if problems:
            self.state, self.message = "error", "; ".join(problems)
            return False
        verdict = self.preflight()
        if verdict.ok is False and not self.force:
            self.state, self.message = "error", f"refused by memory preflight: {verdict.message} (tick Force to run anyway)"
            return False
        cfg = replace(self.doc.config(), render={"width": self.width, "height": self.height})
        request = GenerateRequest(cfg, self.frames, self.width, self.height, Path(self.out_dir))
        try:
            if self.backend == "headless":
                argv = self.command(request)
                env = self.interpreter.env() if self.interpreter is not None else None
                self.proc = LineProcess(argv, base_env=env)
            else:
                self._cancel = self.replicator_launcher(request, self)
        except InterpreterError as exc:
            self.state, self.message = "error", f"error: {exc}"
            return False
        except (OSError, RegolithError) as exc:
            self.state, self.message = "error", f"cannot start: {exc}"
            return False
        self.state, self.message = "running", f"generating {self.frames} frames ({self.backend})"
        return True

    def command(self, request: GenerateRequest) -> list[str]:
        from ..config.files import config_to_toml
        from ..io import atomic_write_text

        if self.cli:
            base = self.cli
        elif self.interpreter is not None:
            base = self.interpreter.command(GENERATE_NEEDS)  # before writing anything
        else:
            base = cli_command(self.python)
        cfg_file = Path(tempfile.mkdtemp(prefix="regolith-ui-")) / "config.toml"
        atomic_write_text(cfg_file, config_to_toml(request.config))
        return [*base, "generate", "--config", str(cfg_file), "--out", str(request.out_dir),
                "--frames", str(request.frames), "--resolution", f"{request.width}x{request.height}",
                *(["--force"] if self.force else [])]

    # -- progress from either backend ------------------------------------------------------
    def report(self, done: int, total: int | None = None, message: str = "") -> None:
        self.done = int(done)
        self.total = int(total) if total else self.total
        if message:
            self.message = message

    def finish(self, ok: bool, message: str = "") -> None:
        if self.state != "running":
            return
        self.state = "done" if ok else ("cancelled" if message == "cancelled" else "error")
        self.message = message or ("done" if ok else "failed")
        self._cancel = None

    def _exited(self, rc: int, stopped: bool, last_line: str) -> None:
        if stopped:
            self.finish(False, "cancelled")
        elif rc == 0:
            self.finish(True, f"wrote {self.out_dir}")
        else:
            self.finish(False, f"error: generate exited with code {rc}" + (f": {last_line}" if last_line else ""))

    def _handle(self, line: str) -> None:
        self.log.append(line)
        event = parse_event(line)
        if event is not None:
            done = event.get("done", event.get("frame", event.get("index")))
            if done is not None:
                self.report(int(done) + (1 if "index" in event and "done" not in event else 0),
                            event.get("total", event.get("frames")))
            if event["event"] == "error":
                self.message = f"error: {event.get('message', 'unknown')}"
            return
        m = _COUNT.search(line)
        if m and int(m.group(2)) == self.total:
            self.report(int(m.group(1)))

    def cancel(self) -> None:
        if self.proc is not None and self.proc.running:
            self.proc.stop()
            self.poll()
        if self._cancel is not None:
            cancel, self._cancel = self._cancel, None
            cancel()
            self.finish(False, "cancelled")
