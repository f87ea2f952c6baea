"""Rover wheel tracks: two grooves with raised edges, pressed into the regolith along a path.

The terrain's vertices are 31 cm apart, too coarse for a 15 cm groove, so a track is a fine
ribbon mesh (2 cm across, 10 cm along) laid on the terrain mesh, carrying the grooves and their
berms; the heightfield's own vertices under the ribbon are pressed down so they never poke
through a groove. The ribbon's per-vertex `track` attribute (distance along the path, how deep
in a groove) and `trackdir` (the path's heading) drive the groove's darkening and tread pattern
in the BSDF (`render.regolith_bsdf`). Labelled regolith, as real masks label tracks (measured §6).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..config.levers import TracksConfig
from .surface import mesh_height, terrain_uv
from .terrain import Heightfield

ALONG_M, ACROSS_M = 0.10, 0.02
PRESS_M = 0.03  # terrain vertices under a ribbon go this much below its deepest groove


@dataclass(frozen=True)
class TrackMesh:
    points: np.ndarray  # (v, 3) float32
    triangles: np.ndarray  # (f, 3) int32
    uvs: np.ndarray  # (v, 2) the terrain's texture coordinates
    track: np.ndarray  # (v, 3) distance along the path (m), groove weight 0..1, 0
    direction: np.ndarray  # (v, 3) the path's unit heading (x, y, 0)


def centreline(x, y, heading_deg, curvature, length) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s, points (m, 2), headings (m,)) of a circular arc sampled every ALONG_M."""
    s = np.linspace(0.0, length, max(2, int(np.ceil(length / ALONG_M)) + 1))
    theta = np.radians(heading_deg) + curvature * s
    ds = np.diff(s, prepend=0.0)
    xy = np.column_stack([x + np.cumsum(np.cos(theta) * ds), y + np.cumsum(np.sin(theta) * ds)])
    return s, xy, theta


def half_width(cfg: TracksConfig, cell_m: float) -> float:
    """Wide enough that every terrain triangle under a groove is pressed and every pressed one is covered."""
    return cfg.gauge_m / 2 + cfg.wheel_width_m * 0.9 + 2.0 * np.sqrt(2.0) * cell_m + 0.1


def profile(a: np.ndarray, s: np.ndarray, length: float, depth: float, cfg: TracksConfig, cell_m: float):
    """(height change, groove weight) at across offset `a`, along `s`: grooves, berms, faded ends."""
    u = np.min([np.abs(a - c) for c in (-cfg.gauge_m / 2, cfg.gauge_m / 2)], 0) / (cfg.wheel_width_m / 2)
    groove = np.clip(1.0 - u * u, 0.0, 1.0)
    berm = np.clip(1.0 - ((u - 1.35) / 0.35) ** 2, 0.0, 1.0) * 0.3
    ends = np.clip(np.minimum(s, length - s) / (2.0 * cell_m) - 1.5, 0.0, 1.0)  # inside the pressed zone
    return depth * ends * (berm - groove), groove * ends


def track_mesh(terrain: Heightfield, paths, cfg: TracksConfig) -> TrackMesh | None:
    """Ribbons for paths (x, y, heading_deg, curvature_per_m, length_m, depth_m)."""
    cell = terrain.size_m / (terrain.n - 1)
    w = half_width(cfg, cell)
    across = np.linspace(-w, w, int(np.ceil(2 * w / ACROSS_M)) + 1)
    parts, offset = [], 0
    for x, y, heading, curvature, length, depth in paths:
        s, xy, theta = centreline(x, y, heading, curvature, length)
        normal = np.column_stack([-np.sin(theta), np.cos(theta)])
        p = xy[:, None, :] + across[None, :, None] * normal[:, None, :]  # (along, across, 2)
        ss, aa = np.meshgrid(s, across, indexing="ij")
        dz, groove = profile(aa, ss, length, depth, cfg, cell)
        edge = (np.abs(aa) > w - 1.5 * ACROSS_M) | (np.minimum(ss, length - ss) < 0.5 * ALONG_M)  # tucked under
        z = mesh_height(terrain, p[..., 0], p[..., 1]) + np.where(edge, -0.005, dz)
        pts = np.dstack([p, z]).reshape(-1, 3)
        n_a, n_c = len(s), len(across)
        idx = np.arange(n_a * n_c).reshape(n_a, n_c)
        a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
        tris = np.concatenate([np.stack([a, c, d], 1), np.stack([a, d, b], 1)]) + offset
        heading_v = np.repeat(np.column_stack([np.cos(theta), np.sin(theta), 0 * theta]), n_c, 0)
        track = np.column_stack([ss.ravel(), groove.ravel(), np.zeros(pts.shape[0])])
        parts.append((pts, tris, terrain_uv(terrain, pts[:, 0], pts[:, 1]), track, heading_v))
        offset += len(pts)
    if not parts:
        return None
    cat = [np.concatenate([part[k] for part in parts]) for k in range(5)]
    return TrackMesh(cat[0].astype(np.float32), cat[1].astype(np.int32), cat[2].astype(np.float32),
                     cat[3].astype(np.float32), cat[4].astype(np.float32))


def press(terrain: Heightfield, paths, cfg: TracksConfig) -> Heightfield:
    """The heightfield with its vertices under every ribbon pressed below the grooves."""
    if not len(paths):
        return terrain
    cell = terrain.size_m / (terrain.n - 1)
    reach = half_width(cfg, cell) - np.sqrt(2.0) * cell - 0.05
    heights, axis = terrain.heights.copy(), terrain.axis
    for x, y, heading, curvature, length, depth in paths:
        s, xy, _ = centreline(x, y, heading, curvature, length)
        lo, hi = xy.min(0) - reach, xy.max(0) + reach
        cols = np.nonzero((axis >= lo[0]) & (axis <= hi[0]))[0]
        rows = np.nonzero((axis >= lo[1]) & (axis <= hi[1]))[0]
        if not len(cols) or not len(rows):
            continue
        gx, gy = np.meshgrid(axis[cols], axis[rows])
        d = np.hypot(gx[..., None] - xy[:, 0], gy[..., None] - xy[:, 1])
        nearest = d.argmin(-1)
        inside = (d.min(-1) < reach) & (s[nearest] > np.sqrt(2.0) * cell) & (s[nearest] < length - np.sqrt(2.0) * cell)
        block = heights[np.ix_(rows, cols)]
        heights[np.ix_(rows, cols)] = np.where(inside, block - depth * 1.3 - PRESS_M, block)
    return dataclasses.replace(terrain, heights=heights)
