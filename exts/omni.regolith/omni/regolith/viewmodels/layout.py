"""Where the five Regolith panels live: their window titles, their Window-menu entries and how
they are docked the first time they open. Plain data, so the layout rules are tested headless and
the Kit layer only turns `DockStep`s into `window.dock_in(target, ui.DockPosition.<position>, ratio)`.

Titles carry the "Regolith" prefix because Kit windows are found by title and Kit already has a
"Stage" window (the USD stage tree). The first panel that opens docks as a tab beside the Property
window, or else to the right of the Viewport; every later one joins it as a tab (`SAME`), so by
default they are docked together and each can be dragged out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

PANELS = ("Stage", "Randomization", "Generate", "Train", "Preview")
MENU_ROOT = "Window"  # Kit's Window menu
MENU_NAME = "Regolith"  # Window > Regolith > <panel>
ANCHORS = (("Property", "SAME", 0.5), ("Viewport", "RIGHT", 0.3))


def window_title(panel: str) -> str:
    if panel not in PANELS:
        raise KeyError(f"{panel!r} is not a Regolith panel ({', '.join(PANELS)})")
    return f"Regolith {panel}"


def menu_path(panel: str) -> str:
    """The path `omni.kit.ui_test.menu_click` takes for a panel's menu entry."""
    return f"{MENU_ROOT}/{MENU_NAME}/{panel}"


def action_id(panel: str) -> str:
    return f"toggle_regolith_{panel.lower()}_window"


@dataclass(frozen=True)
class DockStep:
    window: str  # title of the window to dock
    target: str  # title of the window it docks into
    position: str  # an omni.ui.DockPosition member name: SAME, LEFT, RIGHT, TOP, BOTTOM
    ratio: float = 0.5


def dock_step(title: str, docked: Iterable[str], exists: Callable[[str], bool]) -> DockStep | None:
    """Where the panel `title` docks when first shown: as a tab of an already docked Regolith
    panel, else beside Kit's Property window or Viewport; None when none of those exists (the
    window then floats)."""
    for other in docked:
        if other != title and exists(other):
            return DockStep(title, other, "SAME")
    for target, position, ratio in ANCHORS:
        if exists(target):
            return DockStep(title, target, position, ratio)
    return None
