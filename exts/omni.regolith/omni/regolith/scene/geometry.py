"""Renderable geometry: the terrain and the rocks merged into one mesh, as flat arrays.

Built from the in-memory Scene on the hot path of dataset generation (no USD round trip);
`stage.read` gives the same arrays from a USD stage (a test checks both agree).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scatter import merge_instances


@dataclass(frozen=True)
class Geometry:
    terrain_points: np.ndarray  # (v, 3) float32
    terrain_triangles: np.ndarray  # (f, 3) int32
    terrain_normals: np.ndarray  # (v, 3) float32
    terrain_uvs: np.ndarray  # (v, 2) float32, 0..1 across the terrain
    rock_points: np.ndarray
    rock_triangles: np.ndarray
    terrain_size_m: float
    rock_ids: np.ndarray | None = None  # (rock f,) int32: the layout's rock (1-based) each rock triangle belongs to


def geometry_from_scene(scene) -> Geometry:
    hf = scene.terrain
    rp, rt, ids = merge_instances(scene.prototypes, scene.rocks)
    return Geometry(hf.points(), hf.triangles(), hf.normals(), hf.uvs(), rp, rt, hf.size_m, ids)
