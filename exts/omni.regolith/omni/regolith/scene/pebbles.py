"""Pebbles and gravel: thousands of small stones around the cameras, below the rock label size.

Real regolith is granular down to millimetres, with pebbles everywhere (notes §3). They are
placed only within `near_camera_m` of a layout's cameras (farther away a centimetre stone is
under a pixel), as one instancer of a few low-poly prototypes. Labels follow the image-space
size rule (`render.labels`): most pebbles are regolith, the odd one close to the lens is big
enough to be rock, as a real annotator would mark it.
"""
from __future__ import annotations

import numpy as np

from ..config.levers import PebblesConfig
from .rocks import RockMesh, icosphere
from .scatter import RockLayout, random_quaternions
from .surface import mesh_height
from .terrain import Heightfield, power_law_sizes

PROTOTYPES = 8  # the first half 20 triangles (small pebbles), the rest 80
LARGE_M = 0.015  # pebbles above this radius use the 80-triangle prototypes


def pebble_prototypes(seed: int = 0) -> list[RockMesh]:
    rng = np.random.default_rng([seed, 7])
    out = []
    for i in range(PROTOTYPES):
        base = icosphere(0 if i < PROTOTYPES // 2 else 1)
        pts = base.points * rng.uniform(0.8, 1.15, (len(base.points), 1))
        pts = pts * np.array([1.0, rng.uniform(0.6, 1.0), rng.uniform(0.4, 0.8)])
        pts -= pts.mean(0)
        out.append(RockMesh((pts / np.linalg.norm(pts, axis=1).max()).astype(np.float32), base.triangles))
    return out


def scatter_pebbles(terrain: Heightfield, cameras: np.ndarray, density: float, cfg: PebblesConfig,
                    seed: int) -> tuple[RockLayout, np.ndarray]:
    """(instances, per-pebble albedo multiplier) within `near_camera_m` of any camera (k, 2)."""
    rng = np.random.default_rng([seed, 8])
    cams = np.asarray(cameras, float).reshape(-1, 2)
    reach = cfg.near_camera_m
    lo, hi = cams.min(0) - reach, cams.max(0) + reach
    xy = rng.uniform(lo, hi, (int(density * np.prod(hi - lo)), 2))
    near = np.zeros(len(xy), bool)
    for cam in cams:
        near |= np.hypot(xy[:, 0] - cam[0], xy[:, 1] - cam[1]) < reach
    xy = xy[near][: cfg.max_count]
    n = len(xy)
    radii = power_law_sizes(rng, n, cfg.radius_m[0], max(cfg.radius_m), cfg.size_exponent)
    half = PROTOTYPES // 2
    protos = np.where(radii > LARGE_M, half, 0) + rng.integers(0, half, n)
    z = mesh_height(terrain, xy[:, 0], xy[:, 1]) - rng.uniform(0.1, 0.4, n) * radii  # partly sunk
    layout = RockLayout(protos.astype(np.int32), np.column_stack([xy, z]).astype(np.float32),
                        random_quaternions(rng, n, 60.0), np.repeat(radii[:, None], 3, 1).astype(np.float32))
    lo_a, hi_a = np.log(cfg.albedo_spread[0]), np.log(max(cfg.albedo_spread))
    return layout, np.exp(rng.uniform(lo_a, hi_a, n)).astype(np.float32)
