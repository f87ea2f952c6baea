"""The typed frame record: one line of `frames.jsonl`, everything one frame was rendered with.

Both renderers read these fields (`render.contract.Renderer.render` takes a record), so a frame
made by Mitsuba headless and one made by Replicator in Kit are the same frame. A record first
holds the sampled values; `plan.sample.resolve_camera` adds the camera pose on its terrain and the
pinhole intrinsics. `to_dict` writes exactly the keys a record has (optional ones only when set),
so plans written before a field existed read back and write out byte for byte.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config.scene import Config
from ..errors import DatasetError
from ..scene.camera import CameraPose
from .levers import (
    LEVER_VALUES,
    CameraModelValues,
    EjectaValues,
    FilletsValues,
    HardwareValues,
    LabelPolicyValues,
    MicrodetailValues,
    PebblesValues,
    PhotometryValues,
    RockSurfaceValues,
    TracksValues,
)


@dataclass(frozen=True, eq=False)
class FrameRecord:
    index: int  # frame number; -1 for a stage's own (unplanned) frame
    layout: int  # frames of one layout share terrain and rocks; -1 for a stage's own frame
    terrain_seed: int
    layout_seed: int
    rock_count: int
    rock_scale: float
    sun_elevation_deg: float
    sun_azimuth_deg: float  # clockwise from +Y (north)
    sun_irradiance: float
    regolith_albedo: float
    rock_albedo: float
    texture_scale_m: float
    texture_contrast: float
    star_brightness: float
    exposure: float
    camera_x_m: float
    camera_y_m: float
    camera_yaw_deg: float
    camera_height_m: float
    camera_pitch_deg: float
    camera_roll_deg: float
    hfov_deg: float
    close_boulder: tuple | None = None  # (x, y, radius) of a boulder placed just ahead of the camera
    camera: CameraPose | None = None  # resolved on the terrain (None until `resolve_camera`)
    intrinsics: dict | None = None  # OpenCV pinhole: fx, fy, cx, cy, width, height
    # the photoreal levers' values (plan/levers.py): present only when the lever is on
    microdetail: MicrodetailValues | None = None
    pebbles: PebblesValues | None = None
    ejecta: EjectaValues | None = None
    label_policy: LabelPolicyValues | None = None
    rock_surface: RockSurfaceValues | None = None
    fillets: FilletsValues | None = None
    photometry: PhotometryValues | None = None
    camera_model: CameraModelValues | None = None
    hardware: HardwareValues | None = None
    tracks: TracksValues | None = None

    def to_dict(self) -> dict:
        """The JSON object of `frames.jsonl` (sorted on write by `plan.io`)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.name not in ("camera", "intrinsics", "close_boulder") and f.name not in LEVER_VALUES}
        d.update({name: getattr(self, name).to_dict() for name in LEVER_VALUES if getattr(self, name) is not None})
        if self.close_boulder is not None:
            d["close_boulder"] = list(self.close_boulder)
        if self.camera is not None:
            d["camera"] = self.camera.to_dict()
            d["cam_to_world"] = self.camera.cam_to_world().tolist()
        if self.intrinsics is not None:
            d["intrinsics"] = dict(self.intrinsics)
        return d

    @staticmethod
    def from_dict(d: dict) -> "FrameRecord":
        """A record from its JSON object; DatasetError names the first missing or mistyped key."""
        if not isinstance(d, dict):
            raise DatasetError(f"a frame record must be a JSON object, got {type(d).__name__}")
        kwargs = {}
        for f in dataclasses.fields(FrameRecord):
            if f.name not in d:
                if f.default is dataclasses.MISSING:
                    raise DatasetError(f"frame record {d.get('index', '?')}: no '{f.name}'")
                continue
            kwargs[f.name] = d[f.name]
        try:
            if kwargs.get("camera") is not None:
                kwargs["camera"] = CameraPose.from_dict(kwargs["camera"])
            if kwargs.get("close_boulder") is not None:
                kwargs["close_boulder"] = tuple(float(v) for v in kwargs["close_boulder"])
            for name, values in LEVER_VALUES.items():
                if kwargs.get(name) is not None:
                    kwargs[name] = values.from_dict(kwargs[name], name)
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"frame record {d.get('index', '?')}: malformed camera or boulder ({exc})") from None
        return FrameRecord(**kwargs)

    def __eq__(self, other) -> bool:
        return isinstance(other, FrameRecord) and self.to_dict() == other.to_dict()

    __hash__ = None


def stage_frame(cfg: Config, camera: CameraPose, width: int | None = None, height: int | None = None) -> FrameRecord:
    """The fixed (non-randomized) frame a config describes: the stage's own camera and sun."""
    from ..scene.build import stage_seeds

    w, h = width or cfg.render.width, height or cfg.render.height
    terrain_seed, layout_seed = stage_seeds(cfg)
    c = cfg.camera
    return FrameRecord(
        index=-1, layout=-1, terrain_seed=terrain_seed, layout_seed=layout_seed, rock_count=cfg.rocks.count,
        rock_scale=1.0, sun_elevation_deg=cfg.lighting.sun_elevation_deg,
        sun_azimuth_deg=cfg.lighting.sun_azimuth_deg, sun_irradiance=cfg.lighting.sun_irradiance,
        regolith_albedo=cfg.regolith.albedo, rock_albedo=cfg.rocks.albedo,
        texture_scale_m=cfg.regolith.texture_scale_m, texture_contrast=cfg.regolith.texture_contrast,
        star_brightness=cfg.lighting.star_brightness, exposure=cfg.render.exposure,
        camera_x_m=c.x_m, camera_y_m=c.y_m, camera_yaw_deg=c.yaw_deg, camera_height_m=c.height_m,
        camera_pitch_deg=c.pitch_deg, camera_roll_deg=c.roll_deg, hfov_deg=camera.hfov_deg,
        camera=camera, intrinsics=camera.intrinsics(w, h))
