"""Pebbles and gravel: thousands of small stones around the cameras, below the rock label size.

Real regolith is granular down to millimetres, with pebbles everywhere (measured §3). They are
placed only within `near_camera_m` of a layout's cameras (farther away a centimetre stone is
under a pixel), as one instancer of a few low-poly prototypes. Labels follow the image-space
size rule (`render.labels`): most pebbles are regolith, the odd one close to the lens is big
enough to be rock, as a real annotator would mark it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.levers import PebblesConfig
from .rocks import RockMesh, icosphere
from .scatter import RockLayout, quat_to_matrix, random_quaternions
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


@dataclass(frozen=True)
class StoneMesh:
    """Instances merged into one mesh, with what the renderer needs per instance."""

    points: np.ndarray  # (v, 3) float32
    triangles: np.ndarray  # (f, 3) int32
    vertex_albedo: np.ndarray  # (v,) float32 albedo multiplier
    triangle_ends: np.ndarray  # (n,) cumulative triangle count: instance k owns triangles [ends[k-1], ends[k])


def merge_pebbles(prototypes: list[RockMesh], layout: RockLayout, albedo: np.ndarray) -> StoneMesh:
    """`scatter.merge_instances` vectorised per prototype (tens of thousands of pebbles), grouped by
    prototype: instance order in the mesh is prototype-major, which the ids of the size rule allow."""
    rots = quat_to_matrix(layout.orientations.astype(np.float64))
    points, tris, valb, ends, offset, done = [], [], [], [], 0, 0
    for k, proto in enumerate(prototypes):
        idx = np.nonzero(layout.proto_indices == k)[0]
        if not len(idx):
            continue
        local = proto.points[None] * layout.scales[idx, None, :]
        world = np.einsum("nvj,nij->nvi", local, rots[idx]) + layout.positions[idx, None, :]
        nv, nt = len(proto.points), len(proto.triangles)
        points.append(world.reshape(-1, 3))
        tris.append((proto.triangles[None] + offset + nv * np.arange(len(idx))[:, None, None]).reshape(-1, 3))
        valb.append(np.repeat(albedo[idx], nv))
        ends.append(done + nt * np.arange(1, len(idx) + 1))
        offset, done = offset + nv * len(idx), done + nt * len(idx)
    if not points:
        return StoneMesh(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32), np.zeros(0, np.float32),
                         np.zeros(0, np.int64))
    return StoneMesh(np.concatenate(points).astype(np.float32), np.concatenate(tris).astype(np.int32),
                     np.concatenate(valb).astype(np.float32), np.concatenate(ends))
