"""Rock prototype meshes: v1 low-poly polyhedra, v2 noise-displaced basalt.

Both generators return unit-sized meshes (bounding radius ~1, centred on the origin) that the
PointInstancer scales per instance, so the rock fidelity experiment swaps only this module.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RockMesh:
    points: np.ndarray  # (v, 3) float32
    triangles: np.ndarray  # (f, 3) int32, counter-clockwise seen from outside


def icosphere(subdivisions: int) -> RockMesh:
    """Unit icosahedron, each subdivision splitting every triangle into four."""
    t = (1 + 5 ** 0.5) / 2
    pts = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t),
           (0, -1, -t), (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
             (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
             (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    verts = [np.array(p, float) / np.linalg.norm(p) for p in pts]
    for _ in range(subdivisions):
        cache: dict = {}

        def mid(a, b):
            key = (min(a, b), max(a, b))
            if key not in cache:
                m = verts[a] + verts[b]
                verts.append(m / np.linalg.norm(m))
                cache[key] = len(verts) - 1
            return cache[key]

        new = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new
    return RockMesh(np.array(verts, np.float32), np.array(faces, np.int32))


def _shape(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random anisotropy: rocks are wider than tall, never spheres."""
    axes = np.array([1.0, rng.uniform(0.6, 1.0), rng.uniform(0.35, 0.75)])
    return points * axes


def _normalise(points: np.ndarray) -> np.ndarray:
    points = points - points.mean(0)
    return (points / np.linalg.norm(points, axis=1).max()).astype(np.float32)


def low_poly_rock(rng: np.random.Generator) -> RockMesh:
    """v1: an icosahedron subdivided once, vertices jittered radially and cut by random planes."""
    base = icosphere(1)
    pts = base.points * rng.uniform(0.75, 1.15, (len(base.points), 1))
    for _ in range(rng.integers(2, 5)):  # facets: flatten everything beyond a random plane
        n = rng.standard_normal(3)
        n /= np.linalg.norm(n)
        d = rng.uniform(0.55, 0.85)
        excess = pts @ n - d
        pts -= np.maximum(excess, 0)[:, None] * n
    return RockMesh(_normalise(_shape(pts, rng)), base.triangles)


def basalt_rock(rng: np.random.Generator) -> RockMesh:
    """v2: a finely subdivided sphere displaced by multi-octave noise with sharp facets."""
    base = icosphere(3)
    dirs = base.points.astype(np.float64)
    disp = np.zeros(len(dirs))
    amp = 0.22
    for octave in range(5):
        k = rng.standard_normal((6, 3)) * (1.5 * 2 ** octave)
        phase = rng.uniform(0, 2 * np.pi, 6)
        disp += amp * np.sin(dirs @ k.T + phase).mean(1)
        amp *= 0.55
    pts = dirs * (1.0 + disp)[:, None]
    for _ in range(rng.integers(3, 7)):
        n = rng.standard_normal(3)
        n /= np.linalg.norm(n)
        excess = pts @ n - rng.uniform(0.6, 0.9)
        pts -= np.maximum(excess, 0)[:, None] * n
    return RockMesh(_normalise(_shape(pts, rng)), base.triangles)


def _cut(pts: np.ndarray, rng: np.random.Generator, cuts: int, depth: tuple, normals=None) -> np.ndarray:
    """Flatten everything beyond `cuts` random planes (facets); `normals` fixes their directions."""
    for i in range(cuts):
        n = rng.standard_normal(3) if normals is None else np.asarray(normals[i], float) + 0.15 * rng.standard_normal(3)
        n /= np.linalg.norm(n)
        pts = pts - np.maximum(pts @ n - rng.uniform(*depth), 0)[:, None] * n
    return pts


def family_rock(rng: np.random.Generator, family: str) -> RockMesh:
    """v3 shape families (real rocks are less flat than v1/v2: measured §4): angular blocks, rounded
    boulders, flat slabs, clusters of two or three stones read as one."""
    if family == "cluster":
        parts = [family_rock(rng, "block") for _ in range(rng.integers(2, 4))]
        points, tris, offset = [], [], 0
        for i, part in enumerate(parts):
            shift = np.zeros(3) if i == 0 else np.append(rng.uniform(-0.9, 0.9, 2), -0.1)
            points.append(part.points * (1.0 if i == 0 else rng.uniform(0.45, 0.75)) + shift)
            tris.append(part.triangles + offset)
            offset += len(part.points)
        return RockMesh(_normalise(np.concatenate(points)), np.concatenate(tris).astype(np.int32))
    base = icosphere(3 if family == "rounded" else 2)
    pts = base.points.astype(np.float64)
    if family == "rounded":
        for octave in range(2):
            k = rng.standard_normal((4, 3)) * (1.2 * 2 ** octave)
            pts = pts * (1.0 + 0.12 / (1 + octave) * np.sin(pts @ k.T + rng.uniform(0, 6.3, 4)).mean(1))[:, None]
        axes = (1.0, rng.uniform(0.7, 1.0), rng.uniform(0.5, 0.85))
    elif family == "slab":
        pts = _cut(pts * rng.uniform(0.9, 1.08, (len(pts), 1)), rng, 2, (0.3, 0.5), [(0, 0, 1), (0, 0, -1)])
        pts = _cut(pts, rng, int(rng.integers(2, 5)), (0.6, 0.85))
        axes = (1.0, rng.uniform(0.6, 0.95), rng.uniform(0.45, 0.7))
    else:  # block
        pts = _cut(pts * rng.uniform(0.85, 1.1, (len(pts), 1)), rng, int(rng.integers(5, 10)), (0.5, 0.8))
        axes = (1.0, rng.uniform(0.7, 1.0), rng.uniform(0.55, 0.9))
    return RockMesh(_normalise(pts * np.array(axes)), base.triangles)


FAMILIES = ("block", "rounded", "slab", "cluster")


GENERATORS = {"v1": low_poly_rock, "v2": basalt_rock}


TRIANGLES = {"v1": 20 * 4 ** 1, "v2": 20 * 4 ** 3, "v3": 20 * 4 ** 3}  # icosphere(s) has 20 * 4^s triangles


def triangle_bound(cfg) -> int:
    """Most triangles one layout's rocks (and the photoreal levers' geometry) can hold: what the
    memory preflight budgets for."""
    rnd = cfg.randomization
    boulders = rnd.frames_per_layout if rnd.close_boulder_share > 0 else 0  # at most one per frame
    ejecta = cfg.craters.count * 2 * cfg.ejecta.blocks_per_crater[1] if cfg.ejecta.enabled else 0  # Poisson: 2x
    rocks = (rnd.rock_count[1] + boulders + ejecta) * TRIANGLES[cfg.rocks.model]
    extra = cfg.pebbles.max_count * 80 if cfg.pebbles.enabled else 0  # pebble prototypes: 20 or 80 triangles
    extra += 200_000 if cfg.tracks.enabled else 0  # one ribbon per layout (20 m: ~50k triangles)
    extra += (rnd.rock_count[1] + ejecta) * 96 if cfg.fillets.enabled else 0  # 16 spokes x 3 rings x 2
    return rocks + extra + (20_000 if cfg.hardware.enabled else 0)


def make_prototypes(model: str, count: int, seed: int) -> list[RockMesh]:
    rng = np.random.default_rng([seed, 2])
    if model == "v3":  # every family present: prototype i is of family i mod 4
        return [family_rock(rng, FAMILIES[i % len(FAMILIES)]) for i in range(count)]
    return [GENERATORS[model](rng) for _ in range(count)]
