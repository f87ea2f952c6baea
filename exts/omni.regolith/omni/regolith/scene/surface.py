"""Heights and texture coordinates exactly on the terrain mesh, for geometry laid on top of it.

`Heightfield.height_at` is bilinear; the mesh splits every cell into two triangles, so the two
differ by up to a few centimetres on curved ground. Fillets and track ribbons meet the terrain
within millimetres, so they take the mesh's own piecewise-planar height.
"""
from __future__ import annotations

import numpy as np

from .terrain import Heightfield


def mesh_height(terrain: Heightfield, x, y) -> np.ndarray:
    """Height of the triangulated terrain at world (x, y) (cells split along the a-d diagonal)."""
    step = terrain.size_m / (terrain.n - 1)
    fx = np.clip((np.asarray(x, float) + terrain.size_m / 2) / step, 0, terrain.n - 1.000001)
    fy = np.clip((np.asarray(y, float) + terrain.size_m / 2) / step, 0, terrain.n - 1.000001)
    i, j = fy.astype(int), fx.astype(int)
    ty, tx = fy - i, fx - j
    h = terrain.heights
    a, b, c, d = h[i, j], h[i, j + 1], h[i + 1, j], h[i + 1, j + 1]
    upper = a + (b - a) * tx + (d - b) * ty  # triangle (a, b, d): tx >= ty
    lower = a + (c - a) * ty + (d - c) * tx  # triangle (a, d, c)
    return np.where(tx >= ty, upper, lower)


def terrain_uv(terrain: Heightfield, x, y) -> np.ndarray:
    """The terrain's texture coordinates at world (x, y): things on it share its albedo."""
    half = terrain.size_m / 2
    return np.stack([(np.asarray(x) + half) / terrain.size_m, (np.asarray(y) + half) / terrain.size_m], -1)
