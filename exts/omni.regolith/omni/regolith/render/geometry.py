"""Mitsuba-side geometry: the padding tricks that keep compiled kernels valid across layouts."""
from __future__ import annotations

import numpy as np

from ..scene.geometry import Geometry

PAD_TRIANGLES = 16384
ANCHOR_HEIGHT_M = 1000.0


def with_bound_anchors(geometry: Geometry):
    """Terrain arrays plus two unreferenced vertices that pin the scene's bounding box.

    The directional sun bakes the scene's bounding sphere into the compiled kernel, so each new
    rock layout would recompile it (~0.15 s on 2 CPU cores); a fixed box keeps one kernel.
    """
    half = geometry.terrain_size_m
    anchors = np.array([[-half, -half, -ANCHOR_HEIGHT_M], [half, half, ANCHOR_HEIGHT_M]], np.float32)
    up = np.array([[0, 0, 1], [0, 0, 1]], np.float32)
    points = np.concatenate([geometry.terrain_points, anchors])
    normals = np.concatenate([geometry.terrain_normals, up])
    uvs = np.concatenate([geometry.terrain_uvs, np.zeros((2, 2), np.float32)])
    return points, geometry.terrain_triangles, normals, uvs


def pad_mesh(points: np.ndarray, triangles: np.ndarray, block: int = PAD_TRIANGLES):
    """Pad a mesh to a multiple of `block` triangles with degenerate ones far below the ground.

    Mitsuba bakes mesh sizes into its kernels, so every new rock count would compile new
    kernels (~0.2 s on 2 CPU cores); a few fixed capacities keep the kernel cache warm.
    Zero-area triangles are never hit.
    """
    extra = -len(triangles) % block
    if extra == 0:
        return points, triangles
    sink = len(points)
    points = np.concatenate([points, np.array([[0.0, 0.0, -1.0e4]], np.float32)]).astype(np.float32)
    triangles = np.concatenate([triangles, np.full((extra, 3), sink, np.int32)])
    return points, triangles
