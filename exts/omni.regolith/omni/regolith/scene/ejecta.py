"""Ejecta blocks: rocks thrown out by an impact lie on and just outside its crater's rim."""
from __future__ import annotations

import numpy as np

from ..config.levers import EjectaConfig
from ..config.scene import RockConfig
from .scatter import CAMERA_CLEARANCE_M, RockLayout, _rest_on_ground
from .terrain import Heightfield


def ejecta_blocks(terrain: Heightfield, rocks: RockConfig, cfg: EjectaConfig, seed: int, per_crater: int,
                  keep_clear: np.ndarray | None = None) -> RockLayout:
    """About `per_crater` blocks (Poisson) around every crater of at least `min_crater_radius_m`."""
    rng = np.random.default_rng([seed, 9])
    craters = terrain.craters if terrain.craters is not None else np.zeros((0, 3))
    big = craters[craters[:, 2] >= cfg.min_crater_radius_m]
    counts = rng.poisson(per_crater, len(big))
    centre = np.repeat(big[:, :2], counts, 0)
    crater_r = np.repeat(big[:, 2], counts)
    angle = rng.uniform(0, 2 * np.pi, len(crater_r))
    dist = rng.uniform(*cfg.distance, len(crater_r)) * crater_r
    xy = centre + np.column_stack([np.cos(angle), np.sin(angle)]) * dist[:, None]
    radii = np.clip(rng.uniform(*cfg.block_radius, len(crater_r)) * crater_r, rocks.min_radius_m * 0.5,
                    rocks.max_radius_m)
    inside = np.abs(xy).max(1) < terrain.size_m / 2 * 0.98
    xy, radii = xy[inside], radii[inside]
    if keep_clear is not None and len(keep_clear):
        dist = np.linalg.norm(xy[:, None, :] - np.asarray(keep_clear)[None, :, :2], axis=-1).min(1)
        xy, radii = xy[dist > CAMERA_CLEARANCE_M + radii], radii[dist > CAMERA_CLEARANCE_M + radii]
    return _rest_on_ground(rng, terrain, rocks, xy, radii)
