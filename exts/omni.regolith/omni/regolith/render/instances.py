"""Rock instance ids in the label pass: which rock of the layout each rock pixel sees.

Rocks are merged into one mesh for speed, so the hit shape says only "rock". The geometry keeps
each merged triangle's rock id (`Geometry.rock_ids`); the label pass gathers it with the hit's
primitive index on the device. Ids are stable within a layout (rock i of the layout is i + 1)
and 0 everywhere else, so `instance > 0` is exactly `mask == rock`.
"""
from __future__ import annotations

import numpy as np

from ..errors import RenderError
from ..scene.geometry import Geometry
from .geometry import PAD_TRIANGLES

MAX_ROCK_ID = 65535  # instance PNGs are uint16


def check_rock_ids(rocks: int) -> None:
    """A layout's rocks (a close boulder included) must fit uint16 ids: say so before rendering."""
    if rocks > MAX_ROCK_ID:
        raise RenderError(f"render.instances: a layout of {rocks} rocks does not fit uint16 instance ids "
                          f"(at most {MAX_ROCK_ID}); lower the rock count or set render.instances = false")


def padded_rock_ids(geometry: Geometry, block: int = PAD_TRIANGLES) -> np.ndarray:
    """Per-triangle rock ids padded like the rock mesh (`pad_mesh`): 0 on padding, never empty."""
    ids = geometry.rock_ids
    if ids is None or len(ids) != len(geometry.rock_triangles):
        raise RenderError("instances need the geometry's rock_ids, one per rock triangle")
    check_rock_ids(int(ids.max()) if len(ids) else 0)
    padded = np.zeros(max(1, len(ids) + (-len(ids) % block)), np.uint32)
    padded[:len(ids)] = ids
    return padded


def instance_ids(mi, rock_ids, prim_index, is_rock):
    """The rock id of each pixel (device array): a gather where the ray hit a rock, 0 elsewhere."""
    import drjit as dr

    return dr.gather(mi.UInt32, rock_ids, prim_index, active=is_rock)
