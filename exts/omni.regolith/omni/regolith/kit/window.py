"""The Regolith window: five collapsible sections, each a thin view over one view-model.

Views only bind widgets to view-model fields and call view-model actions; what a value may be,
what a button does and how a job is run lives in `omni.regolith.viewmodels`. Child processes
(headless generation, training) are polled from one asyncio task that runs only while a job is
running; the Replicator run and the preview loop are asyncio tasks on Kit's loop. `destroy()`
stops all of them.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import omni.kit.app
import omni.ui as ui
import omni.usd

from ..config.files import load_config
from ..errors import RegolithError
from ..viewmodels import (
    ConfigDocument,
    GenerateViewModel,
    PreviewViewModel,
    RandomizationViewModel,
    StageViewModel,
    TrainViewModel,
)
from ..viewmodels.generate_vm import BACKENDS
from .preview import PreviewPanel
from .widgets import LABEL_W, text_row

ERROR_STYLE = {"color": 0xFF5050FF}  # ABGR: red
POLL_EVERY = 6  # app updates between polls of child processes


def _stage():
    return omni.usd.get_context().get_stage()


class RegolithWindow:
    def __init__(self, title: str, settings: dict | None = None, stage_fn=_stage):
        settings = settings or {}
        self._stage_fn = stage_fn
        self._settings = settings
        try:
            cfg = load_config(settings.get("config") or None)
        except RegolithError:
            cfg = load_config()
        self.doc = ConfigDocument(cfg)
        python = settings.get("python") or None
        out_dir = Path(settings.get("out_dir") or "_out/regolith")
        self.stage_vm = StageViewModel(self.doc)
        self.rand_vm = RandomizationViewModel(self.doc)
        self.gen_vm = GenerateViewModel(self.doc, out_dir=str(out_dir / "dataset"), python=python,
                                        replicator_launcher=self._launch_replicator)
        self.train_vm = TrainViewModel(data_dir=str(out_dir / "dataset"), out_dir=str(out_dir / "run"),
                                       python=python)
        self.preview = PreviewPanel(PreviewViewModel())
        self.stage_path = str(out_dir / "moon.usda")
        self.toml_path = str(out_dir / "regolith.toml")
        self._messages: dict[str, ui.Label] = {}
        self._tasks: set[asyncio.Task] = set()
        self._ticker: asyncio.Task | None = None
        self.generate_task: asyncio.Task | None = None  # the running Replicator job, if any
        self._window = ui.Window(title, width=460, height=760, dockPreference=ui.DockPreference.RIGHT_BOTTOM)
        self._window.frame.set_build_fn(self._build)

    # -- window ----------------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        return bool(self._window and self._window.visible)

    @visible.setter
    def visible(self, value: bool) -> None:
        if self._window:
            self._window.visible = value

    def destroy(self) -> None:
        """Stop every job and task this window started, then destroy the widgets."""
        self.gen_vm.cancel()
        self.train_vm.stop()
        self.preview.destroy()
        for task in list(self._tasks) + ([self._ticker] if self._ticker else []):
            task.cancel()
        self._tasks.clear()
        self._ticker = None
        self._messages.clear()
        if self._window:
            self._window.destroy()
        self._window = None

    def _build(self) -> None:
        self._messages.clear()
        with ui.ScrollingFrame():
            with ui.VStack(spacing=6, height=0):
                with ui.CollapsableFrame("Stage", collapsed=False):
                    self._build_stage()
                with ui.CollapsableFrame("Randomization", collapsed=True):
                    self._build_randomization()
                with ui.CollapsableFrame("Generate", collapsed=False):
                    self._build_generate()
                with ui.CollapsableFrame("Train", collapsed=True):
                    self._build_train()
                with ui.CollapsableFrame("Preview", collapsed=True):
                    self.preview.build()

    # -- small widget helpers --------------------------------------------------------------
    def _message(self, key: str, text: str = "") -> None:
        label = ui.Label(text, style=ERROR_STYLE, word_wrap=True, visible=bool(text), height=0)
        self._messages[key] = label

    def _refresh_messages(self) -> None:
        for path, label in self._messages.items():
            text = self.doc.message(path)
            label.text, label.visible = text, bool(text)

    def _set_config(self, path: str, value) -> None:
        self.doc.set(path, value)
        self._refresh_messages()

    def _number(self, kind: str, value, on_change):
        widget = ui.IntField() if kind == "int" else ui.FloatField()
        widget.model.set_value(value)
        getter = "get_value_as_int" if kind == "int" else "get_value_as_float"
        widget.model.add_value_changed_fn(lambda m: on_change(getattr(m, getter)()))
        return widget

    def _config_row(self, spec) -> None:
        with ui.HStack(height=0):
            ui.Label(spec.path.removeprefix("randomization."), width=LABEL_W, tooltip=spec.doc or spec.path)
            value = self.doc.get(spec.path)
            if spec.kind == "choice":
                combo = ui.ComboBox(list(spec.choices).index(value), *spec.choices)
                combo.model.add_item_changed_fn(
                    lambda m, _i, p=spec.path, c=spec.choices: self._set_config(
                        p, c[m.get_item_value_model().get_value_as_int()]))
            elif spec.kind == "pair":
                kind = "int" if spec.integer else "float"
                self._number(kind, value[0], lambda v, p=spec.path: self._set_config(p, [v, self.doc.get(p)[1]]))
                self._number(kind, value[1], lambda v, p=spec.path: self._set_config(p, [self.doc.get(p)[0], v]))
            elif spec.kind in ("int", "float"):
                self._number(spec.kind, value, lambda v, p=spec.path: self._set_config(p, v))
            else:
                field = ui.StringField()
                field.model.set_value(str(value))
                field.model.add_value_changed_fn(lambda m, p=spec.path: self._set_config(p, m.get_value_as_string()))
        self._message(spec.path, self.doc.message(spec.path))

    # -- sections --------------------------------------------------------------------------
    def _build_stage(self) -> None:
        vm = self.stage_vm
        with ui.VStack(spacing=3, height=0):
            for spec in vm.fields:
                self._config_row(spec)
            text_row("save as", self.stage_path, lambda v: setattr(self, "stage_path", v))
            with ui.HStack(height=0, spacing=4):
                ui.Button("Build", clicked_fn=self._on_build, tooltip="author the stage under /World of the open stage")
                ui.Button("Save", clicked_fn=self._on_save_stage, tooltip="write the .usda `regolith stage build` writes")
            self._stage_status = ui.Label(vm.status, word_wrap=True, height=0)

    def _on_build(self) -> None:
        self.stage_vm.build(self._stage_fn())
        self._stage_status.text = self.stage_vm.status

    def _on_save_stage(self) -> None:
        self.stage_vm.save(self.stage_path)
        self._stage_status.text = self.stage_vm.status

    def _build_randomization(self) -> None:
        vm = self.rand_vm
        with ui.VStack(spacing=3, height=0):
            with ui.HStack(height=0):
                ui.Label("range", width=LABEL_W)
                ui.Label("min")
                ui.Label("max")
            for spec in vm.ranges + vm.scalars:
                self._config_row(spec)
            text_row("TOML file", self.toml_path, lambda v: setattr(self, "toml_path", v))
            with ui.HStack(height=0, spacing=4):
                ui.Button("Load", clicked_fn=self._on_load_toml, tooltip="read a config the CLI takes with --config")
                ui.Button("Save", clicked_fn=self._on_save_toml, tooltip="write the config for `regolith ... --config`")
            self._rand_status = ui.Label(vm.status, word_wrap=True, height=0)

    def _on_load_toml(self) -> None:
        if self.rand_vm.load(self.toml_path):
            self.gen_vm.sync_resolution()
            self._window.frame.rebuild()  # every field of every section changed
        else:
            self._rand_status.text = self.rand_vm.status

    def _on_save_toml(self) -> None:
        self.rand_vm.save(self.toml_path)
        self._rand_status.text = self.rand_vm.status

    def _build_generate(self) -> None:
        vm = self.gen_vm
        with ui.VStack(spacing=3, height=0):
            with ui.HStack(height=0):
                ui.Label("frames", width=LABEL_W)
                self._number("int", vm.frames, lambda v: setattr(vm, "frames", v))
            with ui.HStack(height=0):
                ui.Label("resolution (w, h)", width=LABEL_W)
                self._number("int", vm.width, lambda v: setattr(vm, "width", v))
                self._number("int", vm.height, lambda v: setattr(vm, "height", v))
            text_row("output folder", vm.out_dir, lambda v: setattr(vm, "out_dir", v))
            with ui.HStack(height=0):
                ui.Label("backend", width=LABEL_W)
                combo = ui.ComboBox(BACKENDS.index(vm.backend), *BACKENDS)
                combo.model.add_item_changed_fn(
                    lambda m, _i: setattr(vm, "backend", BACKENDS[m.get_item_value_model().get_value_as_int()]))
            with ui.HStack(height=0):
                ui.Label("force (ignore memory check)", width=LABEL_W)
                check = ui.CheckBox()
                check.model.set_value(vm.force)
                check.model.add_value_changed_fn(lambda m: setattr(vm, "force", m.get_value_as_bool()))
            with ui.HStack(height=0, spacing=4):
                ui.Button("Check memory", clicked_fn=self._on_preflight)
                ui.Button("Start", clicked_fn=self._on_generate)
                ui.Button("Cancel", clicked_fn=self._on_cancel_generate)
            self._gen_bar = ui.ProgressBar(height=16)
            self._gen_status = ui.Label("", word_wrap=True, height=0)
            self._verdict = ui.Label("", word_wrap=True, height=0)

    def _on_preflight(self) -> None:
        verdict = self.gen_vm.preflight()
        self._verdict.text = f"memory: {verdict.message}"

    def _on_generate(self) -> None:
        if self.gen_vm.start():
            self._ensure_ticker()
        self._refresh_jobs()

    def _on_cancel_generate(self) -> None:
        self.gen_vm.cancel()
        self._refresh_jobs()

    def _launch_replicator(self, request, vm):
        from .replicator_backend import ReplicatorBackend

        backend = ReplicatorBackend(self._stage_fn, rt_subframes=int(self._settings.get("rt_subframes") or 8),
                                    audit_frames=int(self._settings.get("audit_frames") or 3))
        task = asyncio.ensure_future(backend.run(request, progress=vm.report))
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._replicator_done(t, vm))
        self.generate_task = task
        return task.cancel

    def _replicator_done(self, task, vm) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            vm.finish(False, "cancelled")
        elif task.exception() is not None:
            vm.finish(False, f"error: {task.exception()}")
        else:
            vm.finish(True, task.result())
        self._refresh_jobs()

    def _build_train(self) -> None:
        vm = self.train_vm
        with ui.VStack(spacing=3, height=0):
            text_row("dataset folder", vm.data_dir, lambda v: setattr(vm, "data_dir", v))
            text_row("run folder", vm.out_dir, lambda v: setattr(vm, "out_dir", v))
            text_row("extra arguments", vm.extra_args, lambda v: setattr(vm, "extra_args", v))
            with ui.HStack(height=0, spacing=4):
                ui.Button("Start", clicked_fn=self._on_train)
                ui.Button("Stop", clicked_fn=self._on_stop_train)
            self._train_bar = ui.ProgressBar(height=16)
            self._train_status = ui.Label("", word_wrap=True, height=0)

    def _on_train(self) -> None:
        if self.train_vm.start():
            self._ensure_ticker()
        self._refresh_jobs()

    def _on_stop_train(self) -> None:
        self.train_vm.stop()
        self._refresh_jobs()

    # -- job polling -----------------------------------------------------------------------
    def _refresh_jobs(self) -> None:
        if self._window is None or not hasattr(self, "_gen_bar"):
            return
        gen, train = self.gen_vm, self.train_vm
        self._gen_bar.model.set_value(gen.progress)
        self._gen_status.text = f"{gen.state}: {gen.done}/{gen.total} {gen.message}".strip()
        if gen.verdict is not None:
            self._verdict.text = f"memory: {gen.verdict.message}"
        self._train_bar.model.set_value(train.progress)
        self._train_status.text = train.summary() + (f"\n{train.message}" if train.message else "")

    def _ensure_ticker(self) -> None:
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
            self._refresh_jobs()
        self._refresh_jobs()
