"""The renderer contract: what both backends (Mitsuba headless here, Replicator in `kit`) implement.

A backend gets a layout's scene once (terrain and rocks change only per layout: rebuilding them
is the expensive part) and then renders frame records of that layout. Both read the same typed
`FrameRecord` and return the same arrays, and the same dataset writer stores them, so a dataset
looks alike whichever backend made it (what each backend cannot apply it names in `info`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class RenderResult:
    rgb: np.ndarray  # (h, w, 3) uint8 sRGB
    mask: np.ndarray  # (h, w) uint8 class ids
    depth: np.ndarray  # (h, w) float32 planar depth in metres, 0 where sky
    instance: np.ndarray | None = None  # (h, w) uint16 rock id stable within a layout, 0 = no rock; None: not made
    # raw frames of the photoreal levers, finished by render.develop (rgb is None until then):
    linear: np.ndarray | None = None  # (h, w, 3) float32 linear radiance, for the camera model
    stones: np.ndarray | None = None  # (h, w) int32 id of the rock or pebble seen, -1 elsewhere: the size rule
    ground: np.ndarray | None = None  # (h, w) bool: regolith surfaces (what auto exposure meters, full cast)


class Renderer(Protocol):
    """Stage + frame record in, arrays out. Replicator's `render` is a coroutine (Kit's loop)."""

    width: int
    height: int

    def set_layout(self, scene) -> None:
        """Make `scene` (a `scene.build.Scene`: terrain, prototypes, rocks) the current geometry."""

    def render(self, record, seed: int = 0) -> RenderResult:
        """One frame of the current layout (`record`: a `plan.record.FrameRecord`)."""

    def info(self) -> dict:
        """What the manifest records about this backend (name, settings, what it does not apply)."""
