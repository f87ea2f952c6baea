"""Lander and rover hardware: boxes, cylinders and panels in foil, solar-cell and structure materials.

Real frames show the lander's own legs, foil and mast (terrain camera) and the rover (lander
camera), and the models called them rock (measured §6: in 40% of the frames, 2-60% of the view).
A piece is an assembly of primitives, grouped by material: gold and silver foil (specular: they
clip), dark solar panels and grey structure. Sizes and shapes vary per piece from its seed.
"""
from __future__ import annotations

import numpy as np

from .surface import mesh_height

MATERIALS = ("foil_gold", "foil_silver", "panel", "structure")


def box(centre, size, yaw: float = 0.0, pitch: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A box of `size` (x, y, z) turned by yaw (about z) then pitch (about its x)."""
    corners = np.array([[x, y, z] for z in (-0.5, 0.5) for y in (-0.5, 0.5) for x in (-0.5, 0.5)]) * size
    faces = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    tris = np.array([t for a, b, c, d in faces for t in ((a, b, c), (a, c, d))], np.int32)
    return _place(corners, centre, yaw, pitch), tris


def cylinder(p0, p1, radius: float, segments: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A closed cylinder from p0 to p1."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    axis = (p1 - p0) / np.linalg.norm(p1 - p0)
    u = np.cross(axis, [0.0, 0.0, 1.0] if abs(axis[2]) < 0.9 else [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = radius * (np.cos(a)[:, None] * u + np.sin(a)[:, None] * v)
    pts = np.concatenate([p0 + ring, p1 + ring, [p0, p1]])
    k, n = np.arange(segments), (np.arange(segments) + 1) % segments
    side = np.concatenate([np.stack([k, n, segments + n], 1), np.stack([k, segments + n, segments + k], 1)])
    caps = np.concatenate([np.stack([np.full(segments, 2 * segments), n, k], 1),
                           np.stack([np.full(segments, 2 * segments + 1), segments + k, segments + n], 1)])
    return pts, np.concatenate([side, caps]).astype(np.int32)


def _place(points, centre, yaw, pitch):
    cp, sp, cy, sy = np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    pitched = points @ np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]]).T
    return pitched @ np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]]).T + np.asarray(centre, float)


def rover(rng, s: float) -> list:
    """A Yutu-like rover of length s at the origin, facing +x: (material, mesh) parts."""
    gold = "foil_gold" if rng.random() < 0.7 else "foil_silver"
    parts = [(gold, box([0, 0, 0.45 * s], [s, 0.7 * s, 0.35 * s]))]
    for side in (-1, 1):
        tilt = side * rng.uniform(0.1, 0.7)
        parts.append(("panel", box([0, side * 0.62 * s, 0.7 * s], [0.9 * s, 0.55 * s, 0.02 * s], 0.0, tilt)))
        for x in (-0.38, 0.0, 0.38):
            c = np.array([x * s, side * 0.42 * s, 0.15 * s])
            parts.append(("structure", cylinder(c - [0, 0.05 * s, 0], c + [0, 0.05 * s, 0], 0.15 * s)))
    mast = np.array([0.35 * s, 0.0, 0.6 * s])
    parts.append(("structure", cylinder(mast, mast + [0, 0, 0.6 * s], 0.025 * s, 8)))
    parts.append(("foil_silver", box(mast + [0, 0, 0.65 * s], [0.12 * s, 0.3 * s, 0.1 * s])))
    return parts


def lander(rng, s: float) -> list:
    """Lander parts seen from its own mast, facing +x from the camera: a footpad ahead, the leg
    rising to one side and back, the foil-covered body and a panel off to that side."""
    side = 1 if rng.random() < 0.5 else -1
    top = np.array([-0.3 * s, side * 0.8 * s, 1.0 * s])
    parts = [("structure", cylinder([0, 0, 0.03 * s], [0, 0, 0.1 * s], 0.3 * s, 16)),  # footpad
             ("foil_gold", cylinder([0, 0, 0.1 * s], top, 0.07 * s)),  # foil-wrapped leg
             ("structure", cylinder([0, 0, 0.4 * s], top + [0.2 * s, -side * 0.3 * s, -0.3 * s], 0.025 * s, 8)),
             ("foil_gold" if rng.random() < 0.6 else "foil_silver",
              box(top + [-0.2 * s, side * 0.5 * s, 0.2 * s], [0.8 * s, 0.8 * s, 0.6 * s], rng.uniform(-0.3, 0.3)))]
    if rng.random() < 0.5:
        parts.append(("panel", box(top + [0.3 * s, side * 0.6 * s, 0.1 * s], [0.6 * s, 0.5 * s, 0.02 * s], 0.0, 0.4)))
    return parts


def hardware_meshes(terrain, pieces, keep_clear=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every requested piece (kind, x, y, heading_deg, size_m, seed) as one mesh per material.

    A piece within half its size of a camera in `keep_clear` is left out: no camera inside it."""
    merged = {m: ([], [], 0) for m in MATERIALS}
    for kind, x, y, heading, size, seed in pieces:
        if keep_clear is not None and len(keep_clear) and np.hypot(*(np.asarray(keep_clear)[:, :2] - [x, y]).T).min() < 0.5 * size:
            continue
        rng = np.random.default_rng([int(seed), 11])
        base = np.array([x, y, float(mesh_height(terrain, x, y))])
        for material, (pts, tris) in (rover if kind == "rover" else lander)(rng, size):
            points, triangles, offset = merged[material]
            points.append(_place(pts, base, np.radians(heading), 0.0))
            triangles.append(tris + offset)
            merged[material] = (points, triangles, offset + len(pts))
    return {m: (np.concatenate(p).astype(np.float32), np.concatenate(t).astype(np.int32))
            for m, (p, t, _) in merged.items() if p}
