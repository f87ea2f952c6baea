"""The procedural scene as plain arrays (no USD): what the stage author and renderers consume.

Kept free of `pxr` so GPU workers that only render need neither USD nor Kit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.scene import Config
from .camera import CameraPose, rover_camera
from .extras import build_extras, stage_values, uses_extras
from .rocks import RockMesh, make_prototypes
from .scatter import RockLayout, scatter_rocks
from .terrain import Heightfield, make_heightfield


@dataclass(frozen=True)
class Scene:
    """Everything a stage holds, as arrays: what both the USD author and the renderers consume."""

    config: Config
    terrain: Heightfield
    prototypes: list[RockMesh]
    rocks: RockLayout
    camera: CameraPose
    extras: object = None  # scene.extras.Extras when a photoreal lever shapes geometry or labels


def stage_seeds(cfg: Config) -> tuple[int, int]:
    """(terrain seed, rock layout seed) of the config's own stage (not a frame plan's layouts)."""
    tseed = cfg.terrain.seed + 7919 * cfg.seed
    return tseed, tseed + 1


def build_scene(cfg: Config, terrain_seed: int | None = None, layout_seed: int | None = None,
                rock_count: int | None = None, rock_scale: float = 1.0, keep_clear=None,
                terrain: Heightfield | None = None) -> Scene:
    """The procedural scene: the config's own stage, or one layout of a frame plan.

    Without explicit seeds, the terrain and rock layout derive from the config's seeds; the
    frame plan passes its own `terrain_seed` / `layout_seed` (and may pass the cached terrain).
    """
    tseed = stage_seeds(cfg)[0] if terrain_seed is None else terrain_seed
    terrain = terrain or make_heightfield(cfg.terrain, cfg.craters, seed=tseed)
    cam_cfg = cfg.camera
    camera = rover_camera(terrain, cam_cfg.x_m, cam_cfg.y_m, cam_cfg.height_m, cam_cfg.yaw_deg,
                          cam_cfg.pitch_deg, cam_cfg.roll_deg, cam_cfg.hfov_deg)
    clear = np.array([[cam_cfg.x_m, cam_cfg.y_m]]) if keep_clear is None else keep_clear
    lseed = tseed + 1 if layout_seed is None else layout_seed
    prototypes = make_prototypes(cfg.rocks.model, cfg.rocks.prototypes, cfg.seed)
    rocks = scatter_rocks(terrain, cfg.rocks, lseed, rock_count, rock_scale, keep_clear=clear)
    if not uses_extras(cfg):
        return Scene(cfg, terrain, prototypes, rocks, camera)
    terrain, rocks, extras = build_extras(cfg, terrain, prototypes, rocks, clear, lseed, stage_values(cfg, camera))
    return Scene(cfg, terrain, prototypes, rocks, camera, extras)
