"""Rock placement on the terrain: power-law sizes, optional clustering, partial burial."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..config.scene import RockConfig
from .terrain import Heightfield, power_law_sizes

CAMERA_CLEARANCE_M = 0.8  # no rock edge comes closer than this to a camera position


@dataclass(frozen=True)
class RockLayout:
    """Per-instance data, exactly what the USD PointInstancer stores."""

    proto_indices: np.ndarray  # (n,) int32
    positions: np.ndarray  # (n, 3) float32, metres
    orientations: np.ndarray  # (n, 4) float32 quaternions (w, x, y, z)
    scales: np.ndarray  # (n, 3) float32; the prototype's unit radius becomes this many metres

    def __len__(self) -> int:
        return len(self.proto_indices)


def random_quaternions(rng: np.random.Generator, n: int, max_tilt_deg: float = 25.0) -> np.ndarray:
    """Any heading, a modest tilt: a rock resting on the ground, not balanced on an edge."""
    yaw = rng.uniform(0, 2 * np.pi, n)
    tilt = np.radians(rng.uniform(0, max_tilt_deg, n))
    axis_angle = rng.uniform(0, 2 * np.pi, n)
    qz = np.stack([np.cos(yaw / 2), 0 * yaw, 0 * yaw, np.sin(yaw / 2)], 1)
    ax = np.stack([np.cos(axis_angle), np.sin(axis_angle), 0 * yaw], 1)
    qt = np.concatenate([np.cos(tilt / 2)[:, None], ax * np.sin(tilt / 2)[:, None]], 1)
    return quat_multiply(qt, qz).astype(np.float32)


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = a.T
    w2, x2, y2, z2 = b.T
    return np.stack([
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    ], 1)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """(n, 4) (w, x, y, z) -> (n, 3, 3) rotation matrices."""
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], 1)


def scatter_rocks(
    terrain: Heightfield,
    cfg: RockConfig,
    seed: int,
    count: int | None = None,
    scale: float = 1.0,
    keep_clear: np.ndarray | None = None,
    clear_radius_m: float = CAMERA_CLEARANCE_M,
    boulders: np.ndarray | None = None,
) -> RockLayout:
    """Place `count` rocks (default `cfg.count`) within `cfg.spread_m` of the origin.

    `keep_clear` (k, 2) lists xy points (camera positions) no rock may cover, so a rover
    camera never starts inside a boulder. `boulders` (k, 3: x, y, radius) are placed as given,
    after the random rocks and from their own generator, so they leave those unchanged.
    """
    rng = np.random.default_rng([seed, 3])
    n = cfg.count if count is None else count
    radii = power_law_sizes(rng, n, cfg.min_radius_m, cfg.max_radius_m, cfg.size_exponent) * scale
    spread = min(cfg.spread_m, terrain.size_m / 2 * 0.95)
    xy = _uniform_disk(rng, n, spread)
    clustered = rng.random(n) < cfg.clustering
    if clustered.any():
        centres = _uniform_disk(rng, cfg.clusters, spread * 0.8)
        pick = rng.integers(0, cfg.clusters, clustered.sum())
        xy[clustered] = centres[pick] + rng.normal(0, spread * 0.08, (clustered.sum(), 2))
    xy = np.clip(xy, -terrain.size_m / 2 * 0.98, terrain.size_m / 2 * 0.98)
    if keep_clear is not None and len(keep_clear):
        dist = np.linalg.norm(xy[:, None, :] - np.asarray(keep_clear)[None, :, :2], axis=-1).min(1)
        keep = dist > clear_radius_m + radii
        xy, radii = xy[keep], radii[keep]
    layout = _rest_on_ground(rng, terrain, cfg, xy, radii)
    if boulders is None or not len(boulders):
        return layout
    extra = _rest_on_ground(np.random.default_rng([seed, 4]), terrain, cfg, boulders[:, :2], boulders[:, 2])
    return RockLayout(*(np.concatenate([getattr(layout, f.name), getattr(extra, f.name)]) for f in fields(RockLayout)))


def _rest_on_ground(rng, terrain: Heightfield, cfg: RockConfig, xy: np.ndarray, radii: np.ndarray) -> RockLayout:
    """Orientation, burial and prototype for rocks at `xy` of `radii`."""
    n = len(radii)
    orient = random_quaternions(rng, n)
    burial = rng.uniform(*cfg.burial, n)
    # Prototypes are flattened to ~0.35-0.75 of their radius in z: sink by the burial share of that.
    z = terrain.height_at(xy[:, 0], xy[:, 1]) - burial * radii * 0.5
    positions = np.column_stack([xy, z]).astype(np.float32)
    protos = rng.integers(0, cfg.prototypes, n).astype(np.int32)
    scales = np.repeat(np.asarray(radii)[:, None], 3, 1).astype(np.float32)
    return RockLayout(protos, positions, orient, scales)


def _uniform_disk(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    r = radius * np.sqrt(rng.random(n))
    a = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


def merge_instances(prototypes, layout: RockLayout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand the instancer into one mesh: Mitsuba instances cost ~20 ms each per CPU frame.

    Also returns each triangle's rock id (instance i of the layout is id i + 1; 0 means no rock),
    so the label pass can tell the merged rocks apart again.
    """
    if len(layout) == 0:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32), np.zeros(0, np.int32)
    rots = quat_to_matrix(layout.orientations.astype(np.float64))
    points, tris, ids, offset = [], [], [], 0
    for i in range(len(layout)):
        proto = prototypes[layout.proto_indices[i]]
        p = (proto.points * layout.scales[i]) @ rots[i].T + layout.positions[i]
        points.append(p)
        tris.append(proto.triangles + offset)
        ids.append(np.full(len(proto.triangles), i + 1, np.int32))
        offset += len(p)
    return np.concatenate(points).astype(np.float32), np.concatenate(tris).astype(np.int32), np.concatenate(ids)
