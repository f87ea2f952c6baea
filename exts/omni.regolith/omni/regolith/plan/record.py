"""What one rendered frame is: the per-frame parameters both renderers apply to a stage.

The frame plan (`frames.jsonl`) is a list of these; Mitsuba and Replicator read the same fields.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config.scene import Config
from ..scene.camera import CameraPose


@dataclass(frozen=True)
class FrameParams:
    camera: CameraPose
    sun_elevation_deg: float
    sun_azimuth_deg: float
    sun_irradiance: float
    regolith_albedo: float
    rock_albedo: float
    texture_scale_m: float
    texture_contrast: float
    star_brightness: float
    exposure: float = 1.0

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "camera"}
        d["camera"] = self.camera.to_dict()
        return d

    @staticmethod
    def from_dict(d: dict) -> "FrameParams":
        names = {f.name for f in dataclasses.fields(FrameParams)} - {"camera"}
        return FrameParams(camera=CameraPose.from_dict(d["camera"]), **{k: d[k] for k in names if k in d})


def frame_from_config(cfg: Config, camera: CameraPose) -> FrameParams:
    """The fixed (non-randomized) frame a config describes: the stage preview."""
    return FrameParams(
        camera=camera,
        sun_elevation_deg=cfg.lighting.sun_elevation_deg,
        sun_azimuth_deg=cfg.lighting.sun_azimuth_deg,
        sun_irradiance=cfg.lighting.sun_irradiance,
        regolith_albedo=cfg.regolith.albedo,
        rock_albedo=cfg.rocks.albedo,
        texture_scale_m=cfg.regolith.texture_scale_m,
        texture_contrast=cfg.regolith.texture_contrast,
        star_brightness=cfg.lighting.star_brightness,
        exposure=cfg.render.exposure,
    )


def frame_params(record: dict):
    """The renderer's view of a plan record."""
    from .record import FrameParams

    return FrameParams.from_dict(record)
