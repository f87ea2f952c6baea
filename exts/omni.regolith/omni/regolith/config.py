"""Validated configuration: TOML in, frozen dataclasses out.

Every field carries its allowed range in `metadata`, so one generic checker can report every
bad value with its dotted path (``rocks.count: -3 is below the minimum 0``) instead of a
traceback deep inside terrain code. Pairs ``[min, max]`` are ranges the frame plan samples from.
"""
from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "data" / "configs" / "default.toml"


def num(default, lo=None, hi=None, doc=""):
    """A scalar field with inclusive bounds."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "doc": doc})


def pair(default, lo=None, hi=None, doc=""):
    """A [min, max] range field; both ends inside [lo, hi] and min <= max."""
    return field(default=tuple(default), metadata={"lo": lo, "hi": hi, "doc": doc, "pair": True})


def choice(default, options, doc=""):
    return field(default=default, metadata={"choices": tuple(options), "doc": doc})


@dataclass(frozen=True)
class TerrainConfig:
    size_m: float = num(80.0, 1.0, 10000.0, "edge length of the square heightfield, metres")
    resolution: int = num(256, 8, 4096, "vertices per edge")
    seed: int = num(0, 0, 2**31 - 1, "terrain seed (the frame plan overrides it per terrain)")
    noise_amplitude_m: float = num(0.8, 0.0, 100.0, "peak height of the fractal noise")
    noise_wavelength_m: float = num(25.0, 0.1, 10000.0, "wavelength of the lowest octave")
    noise_octaves: int = num(6, 1, 12)
    noise_persistence: float = num(0.5, 0.0, 1.0, "amplitude ratio between octaves")


@dataclass(frozen=True)
class CraterConfig:
    count: int = num(60, 0, 100000)
    min_radius_m: float = num(0.4, 0.01, 10000.0)
    max_radius_m: float = num(10.0, 0.01, 10000.0)
    size_exponent: float = num(2.0, 0.1, 6.0, "cumulative size-frequency slope: N(>r) ~ r^-b")
    depth_ratio: float = num(0.18, 0.0, 1.0, "bowl depth / diameter")
    rim_height_ratio: float = num(0.035, 0.0, 1.0, "rim height / diameter")


@dataclass(frozen=True)
class RockConfig:
    """Defaults: a size law whose labelled rocks look like real hand-labelled ones (docs/datasets.md)."""

    model: str = choice("v2", ("v1", "v2"), "prototype generator: v1 low-poly, v2 displaced basalt")
    prototypes: int = num(8, 1, 256, "distinct prototype meshes")
    count: int = num(120, 0, 100000)
    min_radius_m: float = num(0.25, 0.001, 100.0)
    max_radius_m: float = num(2.0, 0.001, 100.0)
    size_exponent: float = num(1.3, 0.1, 6.0, "cumulative size-frequency slope")
    burial: tuple = pair((0.1, 0.4), 0.0, 0.9, "fraction of the radius sunk into the ground")
    clustering: float = num(0.3, 0.0, 1.0, "share of rocks placed around cluster centres")
    clusters: int = num(6, 1, 1000)
    spread_m: float = num(20.0, 0.1, 10000.0, "rocks are scattered within this radius of the centre")
    albedo: float = num(0.22, 0.0, 1.0)


@dataclass(frozen=True)
class RegolithConfig:
    albedo: float = num(0.13, 0.0, 1.0)
    texture_scale_m: float = num(1.5, 0.01, 1000.0, "feature size of the albedo texture")
    texture_contrast: float = num(0.25, 0.0, 1.0, "relative albedo variation")


@dataclass(frozen=True)
class LightingConfig:
    sun_elevation_deg: float = num(20.0, 0.0, 90.0)
    sun_azimuth_deg: float = num(135.0, 0.0, 360.0, "clockwise from +Y (north)")
    sun_irradiance: float = num(4.5, 0.0, 1000.0, "renderer units; sets exposure")
    sun_angular_diameter_deg: float = num(0.53, 0.0, 10.0)
    star_count: int = num(6000, 0, 1000000)
    star_brightness: float = num(0.6, 0.0, 100.0)
    star_texture_width: int = num(2048, 64, 16384)


@dataclass(frozen=True)
class CameraConfig:
    height_m: float = num(1.5, 0.05, 100.0, "above the terrain under the rover")
    pitch_deg: float = num(-12.0, -89.0, 89.0, "negative looks down")
    roll_deg: float = num(0.0, -45.0, 45.0)
    yaw_deg: float = num(30.0, -360.0, 360.0, "heading, counter-clockwise from +X")
    hfov_deg: float = num(70.0, 5.0, 150.0)
    x_m: float = num(0.0, -10000.0, 10000.0)
    y_m: float = num(0.0, -10000.0, 10000.0)
    sensor_width_mm: float = num(36.0, 1.0, 100.0)


@dataclass(frozen=True)
class RenderConfig:
    width: int = num(512, 8, 8192)
    height: int = num(512, 8, 8192)
    spp: int = num(4, 1, 4096)
    variant: str = choice("auto", ("auto", "cuda_ad_rgb", "llvm_ad_rgb", "scalar_rgb"))
    exposure: float = num(1.0, 0.0, 1000.0)
    ground_bounce: float = num(1.0, 0.0, 10.0, "Mitsuba: light the sunlit regolith throws onto faces "
                               "turned from the sun (1 physical, 0 direct sun only: those faces go black)")
    depth_format: str = choice("npy", ("npy", "png16"), "dataset depth files: float32 .npy, or 16-bit PNG "
                               "in 1/256 m (max 255.99 m, about a tenth of the bytes)")


@dataclass(frozen=True)
class RandomizationConfig:
    sun_elevation_deg: tuple = pair((2.0, 90.0), 0.0, 90.0)
    sun_azimuth_deg: tuple = pair((0.0, 360.0), 0.0, 360.0)
    rock_albedo: tuple = pair((0.12, 0.35), 0.0, 1.0)
    regolith_albedo: tuple = pair((0.07, 0.2), 0.0, 1.0)
    texture_scale_m: tuple = pair((0.3, 4.0), 0.01, 1000.0)
    texture_contrast: tuple = pair((0.05, 0.45), 0.0, 1.0)
    hfov_deg: tuple = pair((50.0, 90.0), 5.0, 150.0)
    camera_height_m: tuple = pair((0.8, 2.5), 0.05, 100.0)
    camera_pitch_deg: tuple = pair((-45.0, -3.0), -89.0, 89.0)
    camera_roll_deg: tuple = pair((-5.0, 5.0), -45.0, 45.0)
    rock_count: tuple = pair((50, 200), 0, 100000)
    rock_scale: tuple = pair((0.6, 1.6), 0.01, 100.0)
    star_brightness: tuple = pair((0.0, 1.5), 0.0, 100.0)
    close_boulder_share: float = num(0.0, 0.0, 1.0, "share of frames with a boulder placed just ahead of the camera")
    close_boulder_distance_m: tuple = pair((2.0, 5.0), 0.5, 100.0, "how far ahead of the camera it stands")
    close_boulder_radius_m: tuple = pair((0.4, 1.2), 0.05, 100.0)
    frames_per_layout: int = num(25, 1, 100000, "frames sharing one terrain and rock layout")
    layouts_per_terrain: int = num(4, 1, 100000, "rock layouts drawn on one terrain")


@dataclass(frozen=True)
class Config:
    seed: int = num(0, 0, 2**31 - 1, "root seed of everything random")
    terrain: TerrainConfig = field(default_factory=TerrainConfig)
    craters: CraterConfig = field(default_factory=CraterConfig)
    rocks: RockConfig = field(default_factory=RockConfig)
    regolith: RegolithConfig = field(default_factory=RegolithConfig)
    lighting: LightingConfig = field(default_factory=LightingConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    randomization: RandomizationConfig = field(default_factory=RandomizationConfig)


CROSS_CHECKS = [
    ("craters.max_radius_m", "craters.min_radius_m"),
    ("rocks.max_radius_m", "rocks.min_radius_m"),
]


def _check_scalar(path, value, f, ftype, problems):
    meta = f.metadata
    if "choices" in meta:
        if value not in meta["choices"]:
            problems.append(f"{path}: {value!r} is not one of {', '.join(meta['choices'])}")
        return value
    if ftype is bool:
        if not isinstance(value, bool):
            problems.append(f"{path}: expected true or false, got {value!r}")
        return value
    if ftype is int and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append(f"{path}: expected an integer, got {value!r}")
        return value
    if ftype is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected a number, got {value!r}")
            return value
        value = float(value)
    if ftype is str and not isinstance(value, str):
        problems.append(f"{path}: expected a string, got {value!r}")
        return value
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and value < lo or hi is not None and value > hi:
        problems.append(f"{path}: {value!r} is outside the allowed range [{lo}, {hi}]")
    return value


def _check_pair(path, value, f, problems):
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        problems.append(f"{path}: expected [min, max], got {value!r}")
        return value
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    a, b = value
    if a > b:
        problems.append(f"{path}: min {a} > max {b}")
    for v in value:
        if lo is not None and v < lo or hi is not None and v > hi:
            problems.append(f"{path}: {v!r} is outside the allowed range [{lo}, {hi}]")
            break
    return tuple(value)


def build_section(cls, data: dict, prefix: str, problems: list):
    """Validate `data` into dataclass `cls`, appending every problem (dotted path first) to `problems`."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            problems.append(f"{prefix}{key}: unknown key (allowed: {', '.join(fields)})")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        path, value, ftype = prefix + name, data[name], hints[name]
        if dataclasses.is_dataclass(ftype):
            if not isinstance(value, dict):
                problems.append(f"{path}: expected a table, got {value!r}")
                continue
            kwargs[name] = build_section(ftype, value, path + ".", problems)
        elif f.metadata.get("pair"):
            kwargs[name] = _check_pair(path, value, f, problems)
        else:
            kwargs[name] = _check_scalar(path, value, f, ftype, problems)
    return cls(**kwargs)


def _lookup(cfg, dotted):
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


def config_from_dict(data: dict) -> Config:
    """Validate a nested dict; raise one ConfigError listing every problem."""
    problems: list[str] = []
    cfg = build_section(Config, data, "", problems)
    if not problems:
        for big, small in CROSS_CHECKS:
            if _lookup(cfg, big) < _lookup(cfg, small):
                problems.append(f"{big}: {_lookup(cfg, big)} is below {small} {_lookup(cfg, small)}")
    if problems:
        raise ConfigError("; ".join(problems))
    return cfg


def parse_overrides(overrides) -> dict:
    """``["rocks.count=10", "render.variant=\"scalar_rgb\""]`` -> nested dict (values are TOML)."""
    out: dict = {}
    for item in overrides or ():
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected section.key=value")
        key, raw = item.split("=", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # bare words are strings: render.variant=scalar_rgb
        node = out
        *parents, leaf = key.strip().split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# Tables that share the config file but belong to one command, which validates them itself.
COMMAND_SECTIONS = ("train", "video")


def read_toml(path: str | Path | None = None) -> dict:
    """A TOML file (the shipped default when `path` is None) as a dict, or one clear ConfigError."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def scene_config(data: dict) -> Config:
    """Validate a whole config file's dict, leaving the command tables to their commands."""
    return config_from_dict({k: v for k, v in data.items() if k not in COMMAND_SECTIONS})


def load_config(path: str | Path | None = None, overrides=None) -> Config:
    """Load TOML (the shipped default when `path` is None), apply ``--set`` overrides, validate.

    `[train]` and `[video]` tables may live in the same file; their commands read them.
    """
    return scene_config(merge(read_toml(path), parse_overrides(overrides)))


def config_to_dict(cfg) -> dict[str, Any]:
    """Plain dict (lists for pairs), for manifests and TOML round trips."""
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        out[f.name] = config_to_dict(v) if dataclasses.is_dataclass(v) else (list(v) if isinstance(v, tuple) else v)
    return out


def config_to_toml(cfg) -> str:
    """Serialise a config; tables after scalars as TOML requires."""
    d = config_to_dict(cfg)
    lines = [f"{k} = {_toml_value(v)}" for k, v in d.items() if not isinstance(v, dict)]
    for section, table in d.items():
        if isinstance(table, dict):
            lines += ["", f"[{section}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def replace(cfg, **sections):
    """``replace(cfg, rocks={"count": 0})``: a validated copy with some fields changed."""
    return config_from_dict(merge(config_to_dict(cfg), sections))
