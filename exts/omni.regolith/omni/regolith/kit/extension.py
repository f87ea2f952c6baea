"""A thin IExt: registers the window's show function and a menu entry, and undoes both.

The window (and every view-model, child process and asyncio task it owns) is created on first
show, not in `on_startup`, and is destroyed in `on_shutdown`, so disabling the extension or
hot-reloading it leaves no window, menu item, subscription or task behind.
"""
from __future__ import annotations

import carb.settings
import omni.ext
import omni.ui as ui
from omni.kit.menu.utils import MenuItemDescription, add_menu_items, remove_menu_items

WINDOW_TITLE = "Regolith"
MENU_GROUP = "Window"
SETTINGS_ROOT = "/exts/omni.regolith"


def read_settings() -> dict:
    """`[settings] exts."omni.regolith".*` from extension.toml (or --/exts/omni.regolith/... flags)."""
    settings = carb.settings.get_settings()
    keys = ("out_dir", "python", "config", "show_on_startup", "rt_subframes", "audit_frames")
    return {k: settings.get(f"{SETTINGS_ROOT}/{k}") for k in keys}


class RegolithExtension(omni.ext.IExt):
    def on_startup(self, ext_id):
        self._ext_id = ext_id
        self._window = None
        self._settings = read_settings()
        ui.Workspace.set_show_window_fn(WINDOW_TITLE, self._show_window)
        self._menu = [MenuItemDescription(name=WINDOW_TITLE, ticked=True, ticked_fn=self._is_visible,
                                          onclick_fn=self._toggle)]
        add_menu_items(self._menu, MENU_GROUP)
        if self._settings.get("show_on_startup"):
            ui.Workspace.show_window(WINDOW_TITLE)

    def _show_window(self, visible: bool) -> None:
        if visible and self._window is None:
            from .window import RegolithWindow

            self._window = RegolithWindow(WINDOW_TITLE, self._settings)
        if self._window is not None:
            self._window.visible = visible

    def _is_visible(self) -> bool:
        return self._window is not None and self._window.visible

    def _toggle(self, *_args) -> None:
        self._show_window(not self._is_visible())

    def on_shutdown(self):
        if self._menu:
            remove_menu_items(self._menu, MENU_GROUP)
        self._menu = None
        ui.Workspace.set_show_window_fn(WINDOW_TITLE, None)
        if self._window is not None:
            self._window.destroy()
        self._window = None
