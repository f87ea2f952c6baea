"""Soil fillets: the regolith banked against a rock's base, as a skirt mesh labelled regolith.

Real rocks sit partly buried with soil heaped around them; ours stood on the ground. Per rock a
ring of `SECTORS` spokes starts inside the rock at the fillet's top (the rock hides that edge) and
falls on a concave profile to just under the terrain (which hides the outer edge), heights taken
on the terrain mesh itself. The rock's outline at the fillet top is measured from its vertices.
"""
from __future__ import annotations

import numpy as np

from .rocks import RockMesh
from .scatter import RockLayout, quat_to_matrix
from .surface import mesh_height

SECTORS = 16
RINGS = 4  # profile samples from the rock out to the terrain
TUCK_M = 0.005  # the outer edge sits this far under the terrain


def _outline(local: np.ndarray, level: float, band: float) -> np.ndarray:
    """Per sector, the rock's horizontal reach among its vertices near height `level` (local coords)."""
    near = np.abs(local[:, 2] - level) < band
    pts = local[near] if near.sum() >= 3 else local
    sector = ((np.arctan2(pts[:, 1], pts[:, 0]) + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    reach = np.full(SECTORS, np.nan)
    np.fmax.at(reach, sector, np.hypot(pts[:, 0], pts[:, 1]))
    return np.where(np.isnan(reach), np.nanmean(reach), reach)


def fillet_mesh(terrain, prototypes: list[RockMesh], rocks: RockLayout, height: float, width: float,
                seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(points, triangles) of every rock's fillet; `height` and `width` vary +-30% per rock."""
    rng = np.random.default_rng([seed, 10])
    rots = quat_to_matrix(rocks.orientations.astype(np.float64))
    angles = (np.arange(SECTORS) + 0.5) / SECTORS * 2 * np.pi - np.pi
    spoke = np.column_stack([np.cos(angles), np.sin(angles)])
    t = np.linspace(0.0, 1.0, RINGS)
    points, tris = [], []
    for i in range(len(rocks)):
        radius, centre = float(rocks.scales[i, 0]), rocks.positions[i].astype(float)
        local = (prototypes[rocks.proto_indices[i]].points * radius) @ rots[i].T
        ground = float(mesh_height(terrain, centre[0], centre[1])) - centre[2]
        top = height * radius * rng.uniform(0.7, 1.3)
        inner = 0.8 * _outline(local, ground + top, 0.15 * radius)
        outer = _outline(local, ground, 0.15 * radius) * (1.0 + width * rng.uniform(0.7, 1.3))
        r = inner[None, :] + (np.maximum(outer, inner * 1.05) - inner)[None, :] * t[:, None]  # (RINGS, SECTORS)
        xy = centre[:2] + r[..., None] * spoke[None]
        z = mesh_height(terrain, xy[..., 0], xy[..., 1]) + top * (1 - t[:, None]) ** 2 - TUCK_M * t[:, None]
        points.append(np.dstack([xy, z]).reshape(-1, 3))
        tris.append(_grid_triangles(RINGS, SECTORS) + i * RINGS * SECTORS)
    if not points:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32)
    return np.concatenate(points).astype(np.float32), np.concatenate(tris).astype(np.int32)


def _grid_triangles(rings: int, sectors: int) -> np.ndarray:
    """Triangles of a (rings x sectors) polar grid, wrapping around, facing up."""
    idx = np.arange(rings * sectors).reshape(rings, sectors)
    a, b = idx[:-1], np.roll(idx[:-1], -1, 1)
    c, d = idx[1:], np.roll(idx[1:], -1, 1)
    return np.concatenate([np.stack([a, c, d], -1).reshape(-1, 3), np.stack([a, d, b], -1).reshape(-1, 3)])
