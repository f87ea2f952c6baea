"""What the five Regolith windows share: one config document, the view-models, the interpreter
for child jobs, and every asyncio task they start; plus the windows themselves, created on first
show and docked together (`viewmodels.layout.dock_step`).

Child processes (headless generation, training) are polled from one asyncio task that runs only
while a job runs; the Replicator run, docking and the preview loop are asyncio tasks on Kit's loop.
`destroy()` stops all of them and destroys every window.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import omni.kit.app
import omni.ui as ui
import omni.usd

from ..config import load_config
from ..errors import RegolithError
from ..viewmodels import (ConfigDocument, GenerateViewModel, PreviewViewModel, RandomizationViewModel,
                          StageViewModel, TrainViewModel)
from ..viewmodels.layout import dock_step, window_title
from ..viewmodels.process import PythonSetting
from .panels import GeneratePanel, RandomizationPanel, StagePanel, TrainPanel
from .preview import PreviewPanel

POLL_EVERY = 6  # app updates between polls of child processes
WINDOW_SIZE = (440, 640)


def _stage():
    return omni.usd.get_context().get_stage()


def repo_roots(ext_path: str | None) -> list[Path]:
    """Where a checkout's `.venv` may be: the repository holding `exts/omni.regolith`."""
    if not ext_path:
        return []
    path = Path(ext_path).resolve()
    return [path.parents[1]] if len(path.parents) > 1 else []


class RegolithSession:
    def __init__(self, settings: dict | None = None, ext_path: str | None = None, stage_fn=_stage,
                 on_visibility=None):
        settings = settings or {}
        self.settings = settings
        self.stage_fn = stage_fn
        self._on_visibility = on_visibility
        try:
            cfg = load_config(settings.get("config") or None)
        except RegolithError:
            cfg = load_config()
        self.doc = ConfigDocument(cfg)
        out_dir = Path(settings.get("out_dir") or "_out/regolith")
        # Inside Kit never `sys.executable`: the setting, `regolith` on PATH, or <repo>/.venv.
        self.python = PythonSetting(settings.get("python") or "", repo_roots(ext_path), allow_current=False)
        self.stage_vm = StageViewModel(self.doc)
        self.rand_vm = RandomizationViewModel(self.doc)
        self.gen_vm = GenerateViewModel(self.doc, out_dir=str(out_dir / "dataset"), interpreter=self.python,
                                        replicator_launcher=self._launch_replicator)
        self.train_vm = TrainViewModel(data_dir=str(out_dir / "dataset"), out_dir=str(out_dir / "run"),
                                       interpreter=self.python)
        self.panels = {
            "Stage": StagePanel(self, str(out_dir / "moon.usda")),
            "Randomization": RandomizationPanel(self, str(out_dir / "regolith.toml")),
            "Generate": GeneratePanel(self),
            "Train": TrainPanel(self),
            "Preview": PreviewPanel(PreviewViewModel(on_viewport=True)),
        }
        self.windows: dict[str, ui.Window] = {}
        self._docked: list[str] = []  # titles already docked, in order: later panels tab onto them
        self.tasks: set[asyncio.Task] = set()
        self._ticker: asyncio.Task | None = None
        self.generate_task: asyncio.Task | None = None  # the running Replicator job, if any

    # -- windows ---------------------------------------------------------------------------
    def window(self, panel: str) -> ui.Window:
        if panel not in self.windows:
            title = window_title(panel)
            w, h = WINDOW_SIZE
            window = ui.Window(title, width=w, height=h, dockPreference=ui.DockPreference.RIGHT_BOTTOM)
            window.frame.set_build_fn(self.panels[panel].build)
            if self._on_visibility is not None:
                window.set_visibility_changed_fn(self._on_visibility)
            self.windows[panel] = window
            self.spawn(self._dock(panel))
        return self.windows[panel]

    def show(self, panel: str, visible: bool = True) -> None:
        if visible:
            self.window(panel).visible = True
        elif panel in self.windows:
            self.windows[panel].visible = False

    def is_visible(self, panel: str) -> bool:
        return panel in self.windows and bool(self.windows[panel].visible)

    def rebuild(self, panel: str) -> None:
        if panel in self.windows:
            self.windows[panel].frame.rebuild()

    async def _dock(self, panel: str) -> None:
        """One update after creation (a window is docked once Kit knows it), as Isaac Sim's own
        panels do (isaacsim.gui.property joint_inspector `_schedule_dock`)."""
        await omni.kit.app.get_app().next_update_async()
        window = self.windows.get(panel)
        if window is None:
            return
        step = dock_step(window_title(panel), self._docked, lambda t: ui.Workspace.get_window(t) is not None)
        if step is not None:
            window.dock_in(ui.Workspace.get_window(step.target), getattr(ui.DockPosition, step.position), step.ratio)
            self._docked.append(window_title(panel))

    # -- tasks -----------------------------------------------------------------------------
    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def destroy(self) -> None:
        """Stop every job and task this session started, then destroy the windows."""
        self.gen_vm.cancel()
        self.train_vm.stop()
        self.panels["Preview"].destroy()
        for task in list(self.tasks) + ([self._ticker] if self._ticker else []):
            task.cancel()
        self.tasks.clear()
        self._ticker = None
        for window in self.windows.values():
            window.destroy()
        self.windows.clear()
        self._docked.clear()

    def _launch_replicator(self, request, vm):
        from .replicator_backend import ReplicatorBackend

        backend = ReplicatorBackend(self.stage_fn, rt_subframes=int(self.settings.get("rt_subframes") or 8),
                                    audit_frames=int(self.settings.get("audit_frames") or 3))
        task = self.spawn(backend.run(request, progress=vm.report))
        task.add_done_callback(lambda t: self._replicator_done(t, vm))
        self.generate_task = task
        return task.cancel

    def _replicator_done(self, task, vm) -> None:
        if task.cancelled():
            vm.finish(False, "cancelled")
        elif task.exception() is not None:
            vm.finish(False, f"error: {task.exception()}")
        else:
            vm.finish(True, task.result())
        self.refresh_jobs()

    # -- job polling -----------------------------------------------------------------------
    def refresh_jobs(self) -> None:
        self.panels["Generate"].refresh()
        self.panels["Train"].refresh()

    def ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        """Poll child processes every few app updates while any job runs."""
        app = omni.kit.app.get_app()
        while self.gen_vm.running or self.train_vm.running:
            for _ in range(POLL_EVERY):
                await app.next_update_async()
            self.gen_vm.poll()
            self.train_vm.poll()
            self.refresh_jobs()
        self.refresh_jobs()
