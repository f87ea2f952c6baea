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
    extras: object = None  # scene.extras.Extras of the photoreal levers, or None
    rock_sizes: np.ndarray | None = None  # (rocks, 2) vertices and triangles of each merged rock (with extras)
    pebbles: object = None  # scene.pebbles.StoneMesh (with the pebbles lever)


def geometry_from_scene(scene) -> Geometry:
    hf = scene.terrain
    rp, rt, ids = merge_instances(scene.prototypes, scene.rocks)
    if scene.extras is None:
        return Geometry(hf.points(), hf.triangles(), hf.normals(), hf.uvs(), rp, rt, hf.size_m, ids)
    pebbles = None
    if scene.extras.pebbles is not None:
        from .pebbles import merge_pebbles

        pebbles = merge_pebbles(scene.extras.pebble_prototypes, scene.extras.pebbles, scene.extras.pebble_albedo)
    return Geometry(hf.points(), hf.triangles(), hf.normals(), hf.uvs(), rp, rt, hf.size_m, ids, scene.extras,
                    instance_sizes(scene.prototypes, scene.rocks), pebbles)


def instance_sizes(prototypes, layout) -> np.ndarray:
    """(n, 2) vertex and triangle counts of each instance, in merge order."""
    counts = np.array([[len(p.points), len(p.triangles)] for p in prototypes], np.int64).reshape(-1, 2)
    return counts[layout.proto_indices] if len(layout) else np.zeros((0, 2), np.int64)
