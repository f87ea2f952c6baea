"""The renderer contract: what both backends (Mitsuba headless, Replicator in Kit) implement."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RenderResult:
    rgb: np.ndarray  # (h, w, 3) uint8 sRGB
    mask: np.ndarray  # (h, w) uint8 class ids
    depth: np.ndarray  # (h, w) float32 planar depth in metres, 0 where sky
