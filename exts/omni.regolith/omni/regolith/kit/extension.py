"""A thin IExt: registers one action, one show function and one Window > Regolith menu entry per
panel, and undoes all of them on shutdown.

The panels (and every view-model, child process and asyncio task behind them) are created on
first show by `RegolithSession`, never in `on_startup`, and destroyed in `on_shutdown`, so disabling
or hot-reloading the extension leaves no window, menu item, action, subscription or task behind.

Sources: menu entries with `sub_menu`, `ticked_fn` and `onclick_action`, and actions registered per
extension, as Isaac Sim 6.2's own extensions do (isaacsim.examples.browser extension.py,
isaacsim.gui.components menu.py); `onclick_fn` is marked deprecated in omni.kit.menu.utils'
MenuItemDescription (Isaac Sim 5.0 type stubs), so actions are used.
"""
from __future__ import annotations

import weakref

import carb.settings
import omni.ext
import omni.kit.actions.core
import omni.kit.app
import omni.ui as ui
from omni.kit.menu.utils import MenuItemDescription, add_menu_items, refresh_menu_items, remove_menu_items

from ..viewmodels.layout import MENU_NAME, MENU_ROOT, PANELS, action_id, window_title

SETTINGS_ROOT = "/exts/omni.regolith"
SETTING_KEYS = ("out_dir", "python", "config", "show_on_startup", "rt_subframes", "audit_frames")


def read_settings() -> dict:
    """`[settings] exts."omni.regolith".*` from extension.toml (or --/exts/omni.regolith/... flags)."""
    settings = carb.settings.get_settings()
    return {k: settings.get(f"{SETTINGS_ROOT}/{k}") for k in SETTING_KEYS}


class RegolithExtension(omni.ext.IExt):
    def on_startup(self, ext_id):
        self._ext_id = ext_id
        self._settings = read_settings()
        self._ext_path = omni.kit.app.get_app().get_extension_manager().get_extension_path(ext_id)
        self._session = None
        me = weakref.proxy(self)
        registry = omni.kit.actions.core.get_action_registry()
        for panel in PANELS:
            registry.register_action(ext_id, action_id(panel), lambda *_, p=panel: me.toggle(p),
                                     description=f"Show or hide the {window_title(panel)} window")
            ui.Workspace.set_show_window_fn(window_title(panel), lambda visible, p=panel: me.show(p, visible))
        self._menu = [MenuItemDescription(name=MENU_NAME, sub_menu=[
            MenuItemDescription(name=panel, ticked=True, ticked_fn=lambda p=panel: me.is_visible(p),
                                onclick_action=(ext_id, action_id(panel)))
            for panel in PANELS])]
        add_menu_items(self._menu, MENU_ROOT)
        if self._settings.get("show_on_startup"):
            for panel in PANELS:
                ui.Workspace.show_window(window_title(panel))

    @property
    def session(self):
        if self._session is None:
            from .session import RegolithSession

            self._session = RegolithSession(self._settings, ext_path=self._ext_path,
                                            on_visibility=lambda *_: refresh_menu_items(MENU_ROOT))
        return self._session

    def show(self, panel: str, visible: bool = True) -> None:
        if visible or self._session is not None:
            self.session.show(panel, visible)

    def is_visible(self, panel: str) -> bool:
        return self._session is not None and self._session.is_visible(panel)

    def toggle(self, panel: str) -> None:
        self.show(panel, not self.is_visible(panel))

    def on_shutdown(self):
        if self._menu:
            remove_menu_items(self._menu, MENU_ROOT)
        self._menu = None
        registry = omni.kit.actions.core.get_action_registry()
        for panel in PANELS:
            registry.deregister_action(self._ext_id, action_id(panel))
            ui.Workspace.set_show_window_fn(window_title(panel), None)
        if self._session is not None:
            self._session.destroy()
        self._session = None
