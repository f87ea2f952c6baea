"""The photoreal levers' per-frame values: typed, sampled, and one JSON object each in `frames.jsonl`.

A lever that is off adds nothing to a record, so plans without levers read back and write out byte
for byte. Each lever draws from its own generator, seeded by (seed, lever, frame) or (seed, lever,
layout) for values that shape geometry, so turning one on changes no other value of the plan.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..config.scene import Config
from ..errors import DatasetError


@dataclass(frozen=True)
class LeverValues:
    """Base of every lever's values: flat JSON-able fields, checked on read."""

    def to_dict(self) -> dict:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d, name: str = ""):
        names = [f.name for f in dataclasses.fields(cls)]
        if not isinstance(d, dict) or set(d) != set(names):
            raise DatasetError(f"'{name}' must be an object with keys {', '.join(names)}, got {d!r}")
        return cls(**{k: _frozen(v) for k, v in d.items()})


def _jsonable(v):
    return [_jsonable(x) for x in v] if isinstance(v, (list, tuple)) else v


def _frozen(v):
    return tuple(_frozen(x) for x in v) if isinstance(v, list) else v


@dataclass(frozen=True)
class MicrodetailValues(LeverValues):
    albedo_amplitude: float
    slope: float
    spectral_tilt: float


@dataclass(frozen=True)
class PebblesValues(LeverValues):
    density_per_m2: float  # per layout


@dataclass(frozen=True)
class EjectaValues(LeverValues):
    blocks_per_crater: int  # per layout


@dataclass(frozen=True)
class LabelPolicyValues(LeverValues):
    rock_min_px: float  # equivalent diameter in render pixels (before any stretch)
    regolith_max_px: float


@dataclass(frozen=True)
class RockSurfaceValues(LeverValues):
    speckle: float
    slope: float
    albedo_ratio: float


@dataclass(frozen=True)
class FilletsValues(LeverValues):
    height: float  # per layout; each rock varies +-30% around it
    width: float


@dataclass(frozen=True)
class PhotometryValues(LeverValues):
    b0: float
    h: float
    beta: float
    lunar_l: float
    shadow_floor: float


@dataclass(frozen=True)
class CameraModelValues(LeverValues):
    target_luma: float
    gamma: float
    gain: tuple  # linear (r, g, b) of the regolith, luminance-preserving; (1, 1, 1) = grey
    vignette: float
    blur_sigma_px: float  # 0 = sharp
    read_noise: float
    shot_noise: float
    jpeg_quality: int  # 0 = no JPEG
    jpeg_scale: float
    stretch: float  # 1 = square; 0.75 = a 4:3 frame shown square


@dataclass(frozen=True)
class HardwareValues(LeverValues):
    pieces: tuple  # ((kind, x, y, heading_deg, size_m, seed), ...) placed ahead of this frame's camera


@dataclass(frozen=True)
class TracksValues(LeverValues):
    paths: tuple  # ((x, y, heading_deg, curvature_per_m, length_m, depth_m), ...) crossing ahead of this frame
    darkening: float


LEVER_VALUES = {
    "microdetail": MicrodetailValues, "pebbles": PebblesValues, "ejecta": EjectaValues,
    "label_policy": LabelPolicyValues, "rock_surface": RockSurfaceValues, "fillets": FilletsValues,
    "photometry": PhotometryValues, "camera_model": CameraModelValues, "hardware": HardwareValues,
    "tracks": TracksValues,
}


def _u(rng, pair) -> float:
    return float(rng.uniform(pair[0], pair[1])) if pair[1] > pair[0] else float(pair[0])


def _rng(cfg: Config, lever: str, number: int):
    return np.random.default_rng([cfg.seed, 50 + list(LEVER_VALUES).index(lever), number])


def _camera_model(cfg: Config, rng) -> CameraModelValues:
    c = cfg.camera_model
    gain = (1.0, 1.0, 1.0)
    if rng.random() >= c.grey_share:
        r, b = _u(rng, c.red_over_green), _u(rng, c.blue_over_green)
        g = 1.0 / (0.2126 * r + 0.7152 + 0.0722 * b)  # keep Rec.709 luminance
        gain = (r * g, g, b * g)
    blur = _u(rng, c.blur_sigma_px) if rng.random() < c.blur_share else 0.0
    jpeg = int(round(_u(rng, c.jpeg_quality))) if rng.random() < c.jpeg_share else 0
    stretch = _u(rng, c.stretch) if rng.random() < c.stretch_share else 1.0
    return CameraModelValues(_u(rng, c.target_luma), _u(rng, c.gamma), gain, _u(rng, c.vignette), blur,
                             _u(rng, c.read_noise), _u(rng, c.shot_noise), jpeg, _u(rng, c.jpeg_scale), stretch)


def _ahead(rng, x, y, yaw_deg, distance, spread_deg=20.0):
    heading = np.radians(yaw_deg + rng.uniform(-spread_deg, spread_deg))
    return float(x + distance * np.cos(heading)), float(y + distance * np.sin(heading))


def _host(cfg: Config, lever: str, layout: int, share: float, kind: int):
    """The frame of `layout` that hosts its piece of this kind, or None (drawn once per layout)."""
    rng = np.random.default_rng([cfg.seed, 50 + list(LEVER_VALUES).index(lever), layout, kind])
    if rng.random() >= share:
        return None
    return layout * cfg.randomization.frames_per_layout + int(rng.integers(cfg.randomization.frames_per_layout))


def _hardware(cfg: Config, rng, index, layout, x, y, yaw_deg) -> HardwareValues:
    """At most one rover and one set of lander parts per layout, each ahead of its host frame's camera
    (the layout's other frames may see them too): one site, one lander, one rover."""
    h, pieces = cfg.hardware, []
    for number, (kind, share, distance) in enumerate((("rover", h.rover_share, h.rover_distance_m),
                                                      ("lander", h.lander_share, h.lander_distance_m))):
        if _host(cfg, "hardware", layout, share, number) != index:
            continue
        px, py = _ahead(rng, x, y, yaw_deg, _u(rng, distance))
        heading = yaw_deg + rng.uniform(-30, 30) if kind == "lander" else rng.uniform(0, 360)  # lander body by the camera
        pieces.append((kind, px, py, float(heading), _u(rng, h.size_m), int(rng.integers(0, 2**31 - 1))))
    return HardwareValues(tuple(pieces))


def _tracks(cfg: Config, rng, index, layout, x, y, yaw_deg) -> TracksValues:
    """A track pair in `share` of the layouts, starting just ahead of its host frame's camera and
    running away from it, give or take 35 degrees (real frames: 4-18% of the view, measured §6)."""
    t = cfg.tracks
    darkening = _u(rng, t.darkening)
    if _host(cfg, "tracks", layout, t.share, 0) != index:
        return TracksValues((), darkening)
    px, py = _ahead(rng, x, y, yaw_deg, float(rng.uniform(0.5, 3.0)), 25.0)
    heading = yaw_deg + rng.uniform(-35.0, 35.0)
    length = _u(rng, t.length_m)
    path = (px, py, float(heading), float(rng.uniform(-0.08, 0.08)), length, _u(rng, t.depth_m))
    return TracksValues((path,), darkening)


def sample_levers(cfg: Config, index: int, layout: int, x: float, y: float, yaw_deg: float) -> dict:
    """The record fields of every lever that is on, for frame `index` (camera at x, y heading yaw)."""
    out = {}
    if cfg.microdetail.enabled:
        m, rng = cfg.microdetail, _rng(cfg, "microdetail", index)
        out["microdetail"] = MicrodetailValues(_u(rng, m.albedo_amplitude), _u(rng, m.slope), _u(rng, m.spectral_tilt))
    if cfg.pebbles.enabled:
        out["pebbles"] = PebblesValues(_u(_rng(cfg, "pebbles", layout), cfg.pebbles.density_per_m2))
    if cfg.ejecta.enabled:
        e = cfg.ejecta.blocks_per_crater
        out["ejecta"] = EjectaValues(int(_rng(cfg, "ejecta", layout).integers(e[0], e[1] + 1)))
    if cfg.rock_surface.enabled:
        r, rng = cfg.rock_surface, _rng(cfg, "rock_surface", index)
        out["rock_surface"] = RockSurfaceValues(_u(rng, r.speckle), _u(rng, r.slope), _u(rng, r.albedo_ratio))
    if cfg.fillets.enabled:
        f, rng = cfg.fillets, _rng(cfg, "fillets", layout)
        out["fillets"] = FilletsValues(_u(rng, f.height), _u(rng, f.width))
    if cfg.photometry.enabled:
        p, rng = cfg.photometry, _rng(cfg, "photometry", index)
        out["photometry"] = PhotometryValues(_u(rng, p.opposition_b0), _u(rng, p.opposition_h), _u(rng, p.phase_beta),
                                             _u(rng, p.lunar_l), _u(rng, p.shadow_floor))
    if cfg.camera_model.enabled:
        out["camera_model"] = _camera_model(cfg, _rng(cfg, "camera_model", index))
    if cfg.hardware.enabled:
        out["hardware"] = _hardware(cfg, _rng(cfg, "hardware", index), index, layout, x, y, yaw_deg)
    if cfg.tracks.enabled:
        out["tracks"] = _tracks(cfg, _rng(cfg, "tracks", index), index, layout, x, y, yaw_deg)
    return out


def resolved_levers(cfg: Config, intrinsics: dict, camera_model: CameraModelValues | None) -> dict:
    """Values that need the resolution: the label policy in pixels, and intrinsics after a stretch.

    A stretch crops the middle `stretch` share of the rows and resamples them to the full height
    (a 4:3 frame shown square), so fy and cy change and depth still back-projects exactly.
    """
    out = {}
    if cfg.label_policy.enabled or cfg.pebbles.enabled:
        w = intrinsics["width"]
        out["label_policy"] = LabelPolicyValues(cfg.label_policy.rock_min_width * w,
                                                cfg.label_policy.regolith_max_width * w)
    if camera_model is not None and camera_model.stretch < 1.0:
        k, h = dict(intrinsics), intrinsics["height"]
        top, rows = stretch_rows(h, camera_model.stretch)
        k["fy"] = k["fy"] * h / rows
        k["cy"] = (k["cy"] - top + 0.5) * h / rows - 0.5
        out["intrinsics"] = k
    return out


def steady_look(cfg: Config, x: float, y: float, yaw_deg: float, intrinsics: dict) -> dict:
    """One draw (frame 0 of layout 0) of the levers' per-frame values with those that need the
    resolution: the single look of a view that is not a dataset frame (stage preview, drive)."""
    values = sample_levers(cfg, 0, 0, x, y, yaw_deg)
    return {**values, **resolved_levers(cfg, intrinsics, values.get("camera_model"))}


def stretch_rows(height: int, stretch: float) -> tuple[int, int]:
    """(first row, row count) of the band a stretch keeps."""
    rows = max(1, int(round(height * stretch)))
    return (height - rows) // 2, rows


def layout_requests(records, lever: str) -> list:
    """Every hardware piece or track path the frames of a layout asked for."""
    out = []
    for r in records:
        values = getattr(r, lever)
        if values is not None:
            out += list(values.pieces if lever == "hardware" else values.paths)
    return out
