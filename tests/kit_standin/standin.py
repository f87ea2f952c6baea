"""Registry the stand-in modules record into, plus helpers the tests use to inspect it."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
widgets: list = []  # every omni.ui widget created, in creation order
windows: dict = {}  # title -> omni.ui.Window
show_fns: dict = {}  # title -> Workspace show-window function
menus: dict = {}  # menu group -> list of MenuItemDescription
settings: dict = {}  # carb settings path -> value
calls: list = []  # (api, args) of omni.replicator.core and viewport calls
actions: dict = {}  # (extension id, action id) -> function (omni.kit.actions.core)
selection: list = []  # prim paths selected through omni.usd's selection
replicator = {"drop_instanced_labels": False, "drop_all_rock_labels": False}


def reset() -> None:
    widgets.clear()
    windows.clear()
    show_fns.clear()
    menus.clear()
    settings.clear()
    calls.clear()
    actions.clear()
    selection.clear()
    replicator.update(drop_instanced_labels=False, drop_all_rock_labels=False)
    import omni.usd
    from omni.kit.viewport.utility import _ViewportWindow

    omni.usd._reset()
    _ViewportWindow.frames.clear()


def install() -> None:
    """Put the stand-in first on sys.path (the `omni` namespace then merges it with omni.regolith)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))


def uninstall() -> None:
    """Forget the stand-in modules and everything imported against them."""
    if str(HERE) in sys.path:
        sys.path.remove(str(HERE))
    for name in list(sys.modules):
        if name == "carb" or name.startswith(("carb.", "omni.ui", "omni.ext", "omni.kit", "omni.usd",
                                              "omni.replicator", "omni.regolith.kit", "standin", "raycast")):
            del sys.modules[name]


def find(kind, **attrs) -> list:
    """Widgets of a class name (``"Button"``) whose attributes match."""
    return [w for w in widgets if type(w).__name__ == kind and not w.destroyed
            and all(getattr(w, k, None) == v for k, v in attrs.items())]
