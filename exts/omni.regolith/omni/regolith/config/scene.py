"""The scene sections: terrain, craters, rocks, regolith, lighting, camera, render, randomization.

`Config` is what a stage and a frame plan are made from; `config_from_dict` validates a nested
dict into it and raises one ConfigError listing every problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from .fields import build_section, choice, num, pair, switch
from .levers import (
    CameraModelConfig,
    EjectaConfig,
    FilletsConfig,
    HardwareConfig,
    LabelPolicyConfig,
    MicrodetailConfig,
    PebblesConfig,
    PhotometryConfig,
    RockSurfaceConfig,
    TracksConfig,
)


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

    model: str = choice("v2", ("v1", "v2", "v3"), "prototype generator: v1 low-poly, v2 displaced basalt, "
                        "v3 a mix of shape families (angular blocks, rounded, slabs, clusters)")
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
    instances: bool = switch(False, "also write instance/NNNNN.png: uint16 rock ids from the label pass "
                             "(0 = no rock), for detection and instance segmentation (regolith export)")


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
    # the photoreal levers (config/levers.py), all off by default
    microdetail: MicrodetailConfig = field(default_factory=MicrodetailConfig)
    pebbles: PebblesConfig = field(default_factory=PebblesConfig)
    ejecta: EjectaConfig = field(default_factory=EjectaConfig)
    label_policy: LabelPolicyConfig = field(default_factory=LabelPolicyConfig)
    rock_surface: RockSurfaceConfig = field(default_factory=RockSurfaceConfig)
    fillets: FilletsConfig = field(default_factory=FilletsConfig)
    photometry: PhotometryConfig = field(default_factory=PhotometryConfig)
    camera_model: CameraModelConfig = field(default_factory=CameraModelConfig)
    hardware: HardwareConfig = field(default_factory=HardwareConfig)
    tracks: TracksConfig = field(default_factory=TracksConfig)


CROSS_CHECKS = [
    ("craters.max_radius_m", "craters.min_radius_m"),
    ("rocks.max_radius_m", "rocks.min_radius_m"),
    ("label_policy.rock_min_width", "label_policy.regolith_max_width"),
]


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
