"""Sampling the frame plan: every randomized value of every frame, from one seed.

Frames are grouped: `frames_per_layout` frames share one rock layout, `layouts_per_terrain`
layouts share one terrain, because moving geometry rebuilds the BVH (~0.4 s on 2 CPU cores)
while sun, camera and materials change for free. Each frame's values come from its own
generator seeded by (seed, index), so a plan for N frames is a prefix of the plan for N + M
and any shard can compute any frame without the others.

The plan resolves camera poses against the terrain (height above ground, intrinsics), so a
record is complete: the Replicator backend applies it as-is.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np

from ..config.scene import Config
from ..scene.camera import rover_camera
from ..scene.scatter import CAMERA_CLEARANCE_M
from ..scene.terrain import make_heightfield
from .levers import resolved_levers, sample_levers
from .record import FrameRecord

CAMERA_RADIUS_FRACTION = 0.5  # cameras stand within this share of the rock spread of the centre


YAW_SPREAD_DEG = 75.0  # and face the rock field give or take this much


BOULDER_TRIES = 6  # places tried for a close boulder before the frame goes without one


def layout_of(index: int, cfg: Config) -> int:
    return index // cfg.randomization.frames_per_layout


def terrain_of(layout: int, cfg: Config) -> int:
    return layout // cfg.randomization.layouts_per_terrain


def _seed_of(cfg: Config, kind: int, number: int) -> int:
    return int(np.random.default_rng([cfg.seed, kind, number]).integers(0, 2**31 - 1))


def _uniform(rng, pair):
    return float(rng.uniform(pair[0], pair[1])) if pair[1] > pair[0] else float(pair[0])


def sample_layout(cfg: Config, layout: int) -> dict:
    """Values shared by every frame of one rock layout."""
    rnd = cfg.randomization
    rng = np.random.default_rng([cfg.seed, 20, layout])
    count = int(rng.integers(rnd.rock_count[0], rnd.rock_count[1] + 1))
    return {
        "layout": layout,
        "terrain_seed": _seed_of(cfg, 10, terrain_of(layout, cfg)),
        "layout_seed": _seed_of(cfg, 11, layout),
        "rock_count": count,
        "rock_scale": _uniform(rng, rnd.rock_scale),
    }


def _draw_camera_xy(rng, cfg: Config) -> tuple[float, float]:
    spread = min(cfg.rocks.spread_m, cfg.terrain.size_m / 2) * CAMERA_RADIUS_FRACTION
    r, a = spread * np.sqrt(rng.random()), rng.uniform(0, 2 * np.pi)
    return float(r * np.cos(a)), float(r * np.sin(a))


def camera_xy(cfg: Config, index: int) -> tuple[float, float]:
    """Where frame `index`'s camera stands (the first draws of its generator), without the rest."""
    return _draw_camera_xy(np.random.default_rng([cfg.seed, 30, index]), cfg)


@lru_cache(maxsize=64)
def layout_cameras(cfg: Config, layout: int) -> np.ndarray:
    """(frames_per_layout, 2) camera positions of a layout's frames: rocks must not stand on them."""
    start = layout * cfg.randomization.frames_per_layout
    cameras = np.array([camera_xy(cfg, i) for i in range(start, start + cfg.randomization.frames_per_layout)])
    cameras.flags.writeable = False  # shared by the cache
    return cameras


def sample_frame(cfg: Config, index: int) -> FrameRecord:
    """Sampled (not yet resolved) values of frame `index`."""
    rnd = cfg.randomization
    rng = np.random.default_rng([cfg.seed, 30, index])
    x, y = _draw_camera_xy(rng, cfg)
    r = np.hypot(x, y)
    to_centre = np.degrees(np.arctan2(-y, -x)) if r > 1e-6 else rng.uniform(-180, 180)
    record = {
        "index": index,
        **sample_layout(cfg, layout_of(index, cfg)),
        "sun_elevation_deg": _uniform(rng, rnd.sun_elevation_deg),
        "sun_azimuth_deg": _uniform(rng, rnd.sun_azimuth_deg),
        "sun_irradiance": cfg.lighting.sun_irradiance,
        "regolith_albedo": _uniform(rng, rnd.regolith_albedo),
        "rock_albedo": _uniform(rng, rnd.rock_albedo),
        "texture_scale_m": _uniform(rng, rnd.texture_scale_m),
        "texture_contrast": _uniform(rng, rnd.texture_contrast),
        "star_brightness": _uniform(rng, rnd.star_brightness),
        "exposure": cfg.render.exposure,
        "camera_x_m": x,
        "camera_y_m": y,
        "camera_yaw_deg": float(to_centre + rng.uniform(-YAW_SPREAD_DEG, YAW_SPREAD_DEG)),
        "camera_height_m": _uniform(rng, rnd.camera_height_m),
        "camera_pitch_deg": _uniform(rng, rnd.camera_pitch_deg),
        "camera_roll_deg": _uniform(rng, rnd.camera_roll_deg),
        "hfov_deg": _uniform(rng, rnd.hfov_deg),
    }
    boulder = close_boulder(cfg, index, x, y, record["camera_yaw_deg"])
    levers = sample_levers(cfg, index, record["layout"], x, y, record["camera_yaw_deg"])
    return FrameRecord(**record, close_boulder=None if boulder is None else tuple(boulder), **levers)


def close_boulder(cfg: Config, index: int, x: float, y: float, yaw_deg: float) -> list | None:
    """[x, y, radius] of a boulder just ahead of this frame's camera, or None.

    Real rover frames often have one rock filling much of the view (docs/results.md: PCAM6); the
    size law alone almost never puts one there. The boulder joins its layout's rocks (all frames of
    the layout see it); places where it would stand on another camera of the layout are retried.
    Its own generator keeps every other value of the plan unchanged by this option.
    """
    rnd = cfg.randomization
    rng = np.random.default_rng([cfg.seed, 40, index])
    if rnd.close_boulder_share <= 0 or rng.random() >= rnd.close_boulder_share:
        return None
    cameras = layout_cameras(cfg, layout_of(index, cfg))
    for _ in range(BOULDER_TRIES):
        dist, radius = _uniform(rng, rnd.close_boulder_distance_m), _uniform(rng, rnd.close_boulder_radius_m)
        heading = np.radians(yaw_deg + rng.uniform(-20.0, 20.0))
        bx, by = x + dist * np.cos(heading), y + dist * np.sin(heading)
        if np.hypot(cameras[:, 0] - bx, cameras[:, 1] - by).min() > radius + CAMERA_CLEARANCE_M:
            return [float(bx), float(by), float(radius)]
    return None


@lru_cache(maxsize=8)
def _terrain(cfg: Config, terrain_seed: int):
    return make_heightfield(cfg.terrain, cfg.craters, seed=terrain_seed)


def terrain_for(cfg: Config, terrain_seed: int):
    """The heightfield of a terrain seed (cached: planning and rendering share it)."""
    return _terrain(cfg, terrain_seed)


def resolve_camera(cfg: Config, record: FrameRecord, width: int, height: int) -> FrameRecord:
    """Add the camera pose (on the ground of this record's terrain) and OpenCV intrinsics."""
    terrain = terrain_for(cfg, record.terrain_seed)
    pose = rover_camera(terrain, record.camera_x_m, record.camera_y_m, record.camera_height_m,
                        record.camera_yaw_deg, record.camera_pitch_deg, record.camera_roll_deg, record.hfov_deg)
    resolved = {"intrinsics": pose.intrinsics(width, height)}
    resolved.update(resolved_levers(cfg, resolved["intrinsics"], record.camera_model))
    return dataclasses.replace(record, camera=pose, **resolved)


def sample_plan(cfg: Config, frames: int, width: int | None = None, height: int | None = None,
                start: int = 0) -> list[FrameRecord]:
    """Frames `start` .. `frames - 1` of the plan at a resolution (default: the config's)."""
    w, h = width or cfg.render.width, height or cfg.render.height
    return [resolve_camera(cfg, sample_frame(cfg, i), w, h) for i in range(start, frames)]


def layout_boulders(records) -> np.ndarray:
    """(k, 3) x, y, radius of the close boulders a layout's frames asked for."""
    return np.array([r.close_boulder for r in records if r.close_boulder], float).reshape(-1, 3)
