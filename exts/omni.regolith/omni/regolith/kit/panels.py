"""The Stage, Randomization, Generate and Train panels: each a thin view over one view-model,
built into its own window by `RegolithSession`.

Views only bind widgets to view-model fields and call view-model actions; what a value may be,
what a button does and how a job runs lives in `omni.regolith.viewmodels`.
"""
from __future__ import annotations

import omni.ui as ui
import omni.usd

from ..viewmodels.generate_vm import BACKENDS
from .widgets import LABEL_W, text_row

ERROR_STYLE = {"color": 0xFF5050FF}  # ABGR: red


class ConfigPanel:
    """Rows bound to dotted config paths, each with the core's inline message under it."""

    def __init__(self, session):
        self.session = session
        self.doc = session.doc
        self._messages: dict[str, ui.Label] = {}
        self.doc.subscribe(self._refresh_messages)

    def _refresh_messages(self) -> None:
        for path, label in self._messages.items():
            text = self.doc.message(path)
            label.text, label.visible = text, bool(text)

    def _message(self, key: str, text: str = "") -> None:
        self._messages[key] = ui.Label(text, style=ERROR_STYLE, word_wrap=True, visible=bool(text), height=0)

    def _set_config(self, path: str, value) -> None:
        self.doc.set(path, value)

    @staticmethod
    def _number(kind: str, value, on_change):
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


class StagePanel(ConfigPanel):
    def __init__(self, session, stage_path: str):
        super().__init__(session)
        self.vm = session.stage_vm
        self.stage_path = stage_path
        self._status = None
        self._tree = None

    def build(self) -> None:
        self._messages.clear()
        vm = self.vm
        with ui.ScrollingFrame():
            with ui.VStack(spacing=3, height=0):
                for spec in vm.fields:
                    self._config_row(spec)
                text_row("save as", self.stage_path, lambda v: setattr(self, "stage_path", v))
                with ui.HStack(height=0, spacing=4):
                    ui.Button("Build", clicked_fn=self._on_build, tooltip="author the stage under /World of the open stage")
                    ui.Button("Save", clicked_fn=self._on_save, tooltip="write the .usda `regolith stage build` writes")
                    ui.Button("Select /World", clicked_fn=self._on_select,
                              tooltip="select the built scene in Kit's Stage window to browse it")
                self._status = ui.Label(vm.status, word_wrap=True, height=0)
                self._tree = ui.Label("\n".join(vm.tree), word_wrap=False, height=0)

    def _show_status(self) -> None:
        if self._status is not None:
            self._status.text = self.vm.status
            self._tree.text = "\n".join(self.vm.tree)

    def _on_build(self) -> None:
        self.vm.build(self.session.stage_fn())
        self._show_status()

    def _on_save(self) -> None:
        self.vm.save(self.stage_path)
        self._show_status()

    def _on_select(self) -> None:
        if self.session.stage_fn().GetPrimAtPath("/World"):
            omni.usd.get_context().get_selection().set_selected_prim_paths(["/World"], True)


class RandomizationPanel(ConfigPanel):
    def __init__(self, session, toml_path: str):
        super().__init__(session)
        self.vm = session.rand_vm
        self.toml_path = toml_path
        self._status = None

    def build(self) -> None:
        self._messages.clear()
        vm = self.vm
        with ui.ScrollingFrame():
            with ui.VStack(spacing=3, height=0):
                with ui.HStack(height=0):
                    ui.Label("range", width=LABEL_W)
                    ui.Label("min")
                    ui.Label("max")
                for spec in vm.ranges + vm.scalars:
                    self._config_row(spec)
                text_row("TOML file", self.toml_path, lambda v: setattr(self, "toml_path", v))
                with ui.HStack(height=0, spacing=4):
                    ui.Button("Load", clicked_fn=self._on_load, tooltip="read a config the CLI takes with --config")
                    ui.Button("Save", clicked_fn=self._on_save, tooltip="write the config for `regolith ... --config`")
                self._status = ui.Label(vm.status, word_wrap=True, height=0)

    def _on_load(self) -> None:
        if self.vm.load(self.toml_path):
            self.session.gen_vm.sync_resolution()
            for panel in ("Stage", "Randomization", "Generate"):  # every field of them changed
                self.session.rebuild(panel)
        elif self._status is not None:
            self._status.text = self.vm.status

    def _on_save(self) -> None:
        self.vm.save(self.toml_path)
        if self._status is not None:
            self._status.text = self.vm.status


class _JobPanel:
    """Start and stop of a panel whose view-model runs a job (a child process or a Kit task)."""

    stop_action = "stop"  # the view-model's method that ends its job

    def _on_start(self) -> None:
        if self.vm.start():
            self.session.ensure_ticker()
        self.refresh()

    def _on_stop(self) -> None:
        getattr(self.vm, self.stop_action)()
        self.refresh()


class GeneratePanel(_JobPanel):
    stop_action = "cancel"

    def __init__(self, session):
        self.session = session
        self.vm = session.gen_vm
        self._bar = self._status = self._verdict = None

    def build(self) -> None:
        vm = self.vm
        number = ConfigPanel._number
        with ui.VStack(spacing=3, height=0):
            with ui.HStack(height=0):
                ui.Label("frames", width=LABEL_W)
                number("int", vm.frames, lambda v: setattr(vm, "frames", v))
            with ui.HStack(height=0):
                ui.Label("resolution (w, h)", width=LABEL_W)
                number("int", vm.width, lambda v: setattr(vm, "width", v))
                number("int", vm.height, lambda v: setattr(vm, "height", v))
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
                ui.Button("Start", clicked_fn=self._on_start)
                ui.Button("Cancel", clicked_fn=self._on_stop)
            self._bar = ui.ProgressBar(height=16)
            self._status = ui.Label("", word_wrap=True, height=0)
            self._verdict = ui.Label("", word_wrap=True, height=0)
        self.refresh()

    def _on_preflight(self) -> None:
        verdict = self.vm.preflight()
        if self._verdict is not None:
            self._verdict.text = f"memory: {verdict.message}"

    def refresh(self) -> None:
        if self._bar is None:
            return
        vm = self.vm
        self._bar.model.set_value(vm.progress)
        self._status.text = f"{vm.state}: {vm.done}/{vm.total} {vm.message}".strip()
        if vm.verdict is not None:
            self._verdict.text = f"memory: {vm.verdict.message}"


class TrainPanel(_JobPanel):
    def __init__(self, session):
        self.session = session
        self.vm = session.train_vm
        self._bar = self._status = None

    def build(self) -> None:
        vm = self.vm
        with ui.VStack(spacing=3, height=0):
            text_row("dataset folder", vm.data_dir, lambda v: setattr(vm, "data_dir", v))
            text_row("run folder", vm.out_dir, lambda v: setattr(vm, "out_dir", v))
            text_row("extra arguments", vm.extra_args, lambda v: setattr(vm, "extra_args", v))
            with ui.HStack(height=0, spacing=4):
                ui.Button("Start", clicked_fn=self._on_start)
                ui.Button("Stop", clicked_fn=self._on_stop)
            self._bar = ui.ProgressBar(height=16)
            self._status = ui.Label("", word_wrap=True, height=0)
        self.refresh()

    def refresh(self) -> None:
        if self._bar is None:
            return
        vm = self.vm
        self._bar.model.set_value(vm.progress)
        python = vm.interpreter.status if vm.interpreter is not None and vm.state != "idle" else ""
        self._status.text = "\n".join(t for t in (vm.summary(), vm.message, python) if t)
