"""Checks omni.regolith inside the real Kit kernel (omniverse-kit 110), against SDK stand-ins.

Started by tests/kit_kernel/test_kernel.py. Everything here runs in Kit's process: the extension
manager that solved omni.regolith's dependencies, Kit's `[[python.module]]` import, the IExt that
Kit instantiated, Kit's asyncio loop (`omni.kit.app.next_update_async`), and finally Kit disabling
the extension (IExt.on_shutdown). The omni.ui / menu / viewport / Replicator modules are the
recording stand-ins of tests/kit_standin, so widgets are inspected through `standin`.

Waits are counted in app updates (bounded by a setting), never in seconds.
"""
from __future__ import annotations

import asyncio
import json
import sys
import tomllib
import traceback
from pathlib import Path

import carb.settings
import numpy as np
import omni.ext
import omni.kit.app

SETTINGS = "/exts/regolith.kernel_driver"
EXT = "omni.regolith"
APP = "omni.regolith.app"


class FakeSegmenter:
    def predict(self, rgb):
        return np.where(rgb[..., 1] > 128, 1, 0).astype(np.uint8)


class KernelDriver(omni.ext.IExt):
    def on_startup(self, ext_id):
        import omni.ui as ui

        self._viewport = ui.Window("Viewport")  # the dock anchor Isaac Sim's layout has
        self._checks: list[dict] = []
        self._task = asyncio.ensure_future(self._run())

    def on_shutdown(self):
        if self._task is not None and not self._task.done():
            self._task.cancel()

    # -- plumbing --------------------------------------------------------------------------
    def check(self, name: str, ok: bool, detail="") -> bool:
        self._checks.append({"name": name, "ok": bool(ok), "detail": str(detail)})
        print(f"[regolith.kernel_driver] {'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
        return bool(ok)

    async def updates_until(self, predicate, what: str) -> int:
        app = omni.kit.app.get_app()
        limit = int(carb.settings.get_settings().get(f"{SETTINGS}/max_updates") or 20000)
        for n in range(limit):
            if predicate():
                return n
            await app.next_update_async()
        raise AssertionError(f"{what}: not reached in {limit} app updates")

    async def _run(self) -> None:
        try:
            await self._scenario()
        except Exception:  # noqa: BLE001 - reported as a failed check
            self.check("driver", False, traceback.format_exc())
        settings = carb.settings.get_settings()
        report = settings.get(f"{SETTINGS}/report")
        if report:
            Path(report).write_text(json.dumps(self._checks, indent=1))
        ok = bool(self._checks) and all(c["ok"] for c in self._checks)
        omni.kit.app.get_app().post_quit(0 if ok else 1)

    # -- the scenario ----------------------------------------------------------------------
    async def _scenario(self) -> None:
        app = omni.kit.app.get_app()
        await app.next_update_async()  # every extension of this launch has started
        manager = app.get_extension_manager()
        settings = carb.settings.get_settings()

        # The app file was parsed: its dependencies were enabled and its settings applied.
        self.check("app file enabled", manager.is_extension_enabled(APP), APP)
        self.check("app file settings", settings.get("/app/window/title") == "Regolith - Isaac Sim",
                   settings.get("/app/window/title"))
        # omni.regolith was found through the app's ext folder and its extension.toml solved.
        ext_id = manager.get_enabled_extension_id(EXT)
        self.check("omni.regolith enabled", manager.is_extension_enabled(EXT), ext_id)
        root = Path(manager.get_extension_path(ext_id))
        self.check("found through ${app}/../exts", root.parent.name == "exts" and root.name == EXT, root)
        manifest = tomllib.loads((root / "config" / "extension.toml").read_text())
        missing = [d for d in manifest["dependencies"] if not manager.is_extension_enabled(d)]
        self.check("every [dependencies] entry enabled", not missing, missing or sorted(manifest["dependencies"]))
        kit_module = sys.modules.get("omni.regolith.kit")
        self.check("[[python.module]] imported from the extension", kit_module is not None
                   and Path(kit_module.__file__).is_relative_to(root), getattr(kit_module, "__file__", None))

        import omni.kit.actions.core as actions
        import omni.ui as ui
        import omni.usd as usd
        import standin

        from omni.regolith.viewmodels.layout import PANELS, window_title

        # IExt.on_startup: menu entries, actions, show functions; show_on_startup opened windows.
        root_items = standin.menus.get("Window", [])
        entries = [i.name for i in root_items[0].sub_menu] if root_items else []
        self.check("Window > Regolith > panels", [i.name for i in root_items] == ["Regolith"]
                   and entries == list(PANELS), entries)
        self.check("one action per panel", sorted(a for e, a in standin.actions if e == ext_id)
                   == sorted(f"toggle_regolith_{p.lower()}_window" for p in PANELS), sorted(standin.actions))
        n = await self.updates_until(lambda: all(window_title(p) in standin.windows for p in PANELS)
                                     and all(hasattr(standin.windows[window_title(p)], "docked_in") for p in PANELS),
                                     "windows shown and docked")
        windows = [standin.windows[window_title(p)] for p in PANELS]
        first = windows[0]
        self.check("windows docked together by async tasks on Kit's loop",
                   first.docked_in is self._viewport and first.dock_position == ui.DockPosition.RIGHT
                   and all(w.dock_position == ui.DockPosition.SAME for w in windows[1:]),
                   f"after {n} updates: {[getattr(w.docked_in, 'title', None) for w in windows]}")
        for w in windows:
            w.draw()  # what Kit does on a visible window's first frame
        train_item = root_items[0].sub_menu[PANELS.index("Train")]
        actions.execute_action(*train_item.onclick_action)
        hidden = not standin.windows[window_title("Train")].visible and not train_item.ticked_fn()
        actions.execute_action(*train_item.onclick_action)
        self.check("menu action toggles a window", hidden and train_item.ticked_fn())

        buttons = {(w.title, b.text): b for w in windows for b in _walk(w.frame) if type(b).__name__ == "Button"}
        session = buttons[("Regolith Train", "Start")].clicked_fn.__self__.session

        # Stage: Build into the (stand-in) USD context.
        buttons[("Regolith Stage", "Build")].call_clicked_fn()
        stage = usd.get_context().get_stage()
        self.check("Stage > Build authors /World", bool(stage.GetPrimAtPath("/World/Terrain")),
                   session.stage_vm.status)

        # Generate with the Replicator backend: an asyncio task on Kit's loop.
        session.gen_vm.frames, session.gen_vm.force = 2, True
        buttons[("Regolith Generate", "Start")].call_clicked_fn()
        n = await self.updates_until(lambda: session.generate_task is not None and session.generate_task.done(),
                                     "the Replicator run")
        out = Path(session.gen_vm.out_dir)
        masks = sorted(p.name for p in (out / "mask").iterdir()) if (out / "mask").is_dir() else []
        self.check("Generate (Replicator backend) on Kit's loop", session.gen_vm.state == "done"
                   and masks == ["00000.png", "00001.png"], f"{session.gen_vm.message} ({n} updates)")

        # Train: a child process polled by the ticker task, with the configured interpreter's env.
        trainer = settings.get(f"{SETTINGS}/trainer")
        session.train_vm.cli = [sys.executable, trainer]
        buttons[("Regolith Train", "Start")].call_clicked_fn()
        n = await self.updates_until(lambda: not session.train_vm.running, "the training child")
        status = session.panels["Train"]._status.text
        self.check("Train child polled on Kit's loop", session.train_vm.state == "done" and "rock IoU 0.500" in status,
                   f"{status!r} ({n} updates)")
        self.check("child started without Kit's PYTHONPATH/LD_PRELOAD",
                   session.train_vm.model_path.endswith("|None|None"), session.train_vm.model_path)

        # Preview: capture on another thread -> inference in a pool -> overlay on the viewport.
        preview = session.panels["Preview"]
        preview.vm.loader = lambda path: FakeSegmenter()
        buttons[("Regolith Preview", "Load model")].call_clicked_fn()
        await self.updates_until(lambda: preview.vm.loaded, "the model")
        buttons[("Regolith Preview", "Start")].call_clicked_fn()
        n = await self.updates_until(lambda: preview.shown >= 3, "three overlays")
        labels = [w.text for w in standin.find("Label") if w.text.startswith("Regolith preview")]
        self.check("overlay drawn on the viewport with its fps", preview.overlay.frames >= 3 and len(labels) == 1
                   and " fps " in labels[0], f"{labels} ({n} updates)")

        # Kit disables the extension: IExt.on_shutdown must leave nothing behind.
        me = asyncio.current_task()
        manager.set_extension_enabled_immediate(APP, False)
        manager.set_extension_enabled_immediate(EXT, False)
        await app.next_update_async()
        left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        self.check("Kit disabled omni.regolith", not manager.is_extension_enabled(EXT))
        self.check("on_shutdown removed menus, actions, show functions, windows",
                   standin.menus == {} and not [k for k in standin.actions if k[0] == ext_id]
                   and standin.show_fns == {} and set(standin.windows) == {"Viewport"},
                   (standin.menus, sorted(standin.actions), sorted(standin.show_fns), sorted(standin.windows)))
        self.check("no asyncio task left running", not left, left)
        frames = [f for f in standin.find("Frame") if any(type(c).__name__ == "ZStack" for c in f.children)]
        self.check("viewport overlay removed", not frames, len(frames))


def _walk(widget):
    for child in widget.children:
        if not child.destroyed:
            yield child
            yield from _walk(child)
