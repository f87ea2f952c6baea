"""Class colours for overlays, legends and mask previews (one palette everywhere)."""
from __future__ import annotations

import numpy as np

from . import CLASS_NAMES, IGNORE_ID

COLORS = {0: (120, 120, 120), 1: (235, 80, 40), 2: (40, 90, 220), IGNORE_ID: (255, 0, 255)}


def lut() -> np.ndarray:
    table = np.zeros((256, 3), np.uint8)
    for k, c in COLORS.items():
        table[k] = c
    return table


def colorize_mask(mask: np.ndarray, rgb: np.ndarray | None = None, alpha: float = 0.55) -> np.ndarray:
    """Colour a class mask; with `rgb`, blend it over the image (ignore pixels keep the image)."""
    color = lut()[mask]
    if rgb is None:
        return color
    out = rgb.astype(np.float32) * (1 - alpha) + color.astype(np.float32) * alpha
    out[mask == IGNORE_ID] = rgb[mask == IGNORE_ID]
    return out.astype(np.uint8)


def legend_items():
    return [(CLASS_NAMES[k], COLORS[k]) for k in sorted(CLASS_NAMES)]
