"""The photoreal levers (issue #20): one switchable section each, all off by default.

With every lever off a dataset is byte-identical to one made before they existed. Ranges are
drawn per frame (or per layout where they shape geometry) and logged in `frames.jsonl`. The
default ranges come from measurements of real Chang'e-3 frames against ours
(docs/real-vs-synthetic.md, sections cited as "measured §N"; docs/datasets.md has the numbers).
"""
from __future__ import annotations

from dataclasses import dataclass

from .fields import choice, num, pair, switch


@dataclass(frozen=True)
class MicrodetailConfig:
    """Regolith micro-detail: procedural albedo and bump from 1 cm up, on the device (measured §3)."""

    enabled: bool = switch(False, "multi-scale albedo and bump detail on the regolith")
    albedo_amplitude: tuple = pair((0.08, 0.35), 0.0, 1.0, "relative albedo variation each octave adds")
    slope: tuple = pair((0.06, 0.30), 0.0, 1.0, "rms bump slope each octave adds")
    spectral_tilt: tuple = pair((0.0, 0.3), 0.0, 1.0, "octave weight (wavelength / finest)^-tilt: finer "
                                "octaves stronger (real PCAM frames ~0.3)")
    min_wavelength_m: float = num(0.01, 0.001, 1.0, "finest octave")
    octaves: int = num(6, 1, 10, "octaves, each twice the wavelength of the one before")


@dataclass(frozen=True)
class PebblesConfig:
    """Pebbles and gravel: small stones near the cameras, labelled by their size in the image."""

    enabled: bool = switch(False, "a pebble population around every camera of a layout")
    density_per_m2: tuple = pair((5.0, 20.0), 0.0, 1000.0, "pebbles per square metre, drawn per layout "
                                 "(each 10/m2 costs ~15% more CPU time per frame)")
    radius_m: tuple = pair((0.008, 0.05), 0.001, 1.0, "pebble radius range (power law)")
    size_exponent: float = num(2.0, 0.1, 6.0, "cumulative size-frequency slope")
    near_camera_m: float = num(6.0, 0.5, 100.0, "pebbles lie within this distance of a layout's cameras")
    albedo_spread: tuple = pair((0.7, 1.6), 0.0, 10.0, "per-pebble albedo multiplier on the regolith's")
    max_count: int = num(40000, 1, 1000000, "cap per layout (memory and BVH time)")


@dataclass(frozen=True)
class EjectaConfig:
    """Ejecta blocks: extra rocks on and just outside the rims of the larger craters."""

    enabled: bool = switch(False, "scatter blocks around crater rims")
    blocks_per_crater: tuple = pair((2, 12), 0, 1000)
    min_crater_radius_m: float = num(1.5, 0.01, 10000.0, "craters smaller than this get none")
    block_radius: tuple = pair((0.03, 0.12), 0.001, 1.0, "block radius as a share of the crater radius")
    distance: tuple = pair((0.9, 1.8), 0.0, 5.0, "distance from the crater centre in crater radii")


@dataclass(frozen=True)
class LabelPolicyConfig:
    """From what size up a stone is "rock": the real masks' convention, in the image (measured §4)."""

    enabled: bool = switch(False, "apply the size rule to rocks too (pebbles always follow it)")
    rock_min_width: float = num(0.015, 0.0, 1.0, "a stone is rock from this equivalent diameter / image "
                                "width up (dense real masks: p5 = 1.58%)")
    regolith_max_width: float = num(0.010, 0.0, 1.0, "smaller stones are regolith; between the two: ignore")


@dataclass(frozen=True)
class RockSurfaceConfig:
    """Rock surfaces: speckled albedo, cm bump, and an albedo from dark basalt to bright breccia."""

    enabled: bool = switch(False, "textured rocks with per-rock albedo")
    speckle: tuple = pair((0.25, 0.6), 0.0, 1.0, "relative albedo variation per octave (3D noise)")
    slope: tuple = pair((0.15, 0.45), 0.0, 1.0, "rms bump slope per octave")
    albedo_ratio: tuple = pair((1.0, 1.8), 0.1, 10.0, "rock albedo / the frame's regolith albedo (real rocks "
                               "are brighter than the ground around them: measured §2)")
    instance_albedo: tuple = pair((0.6, 1.6), 0.05, 10.0, "per-rock multiplier, log-uniform: basalt to breccia")
    min_wavelength_m: float = num(0.005, 0.0005, 1.0, "finest octave")
    octaves: int = num(5, 1, 8)


@dataclass(frozen=True)
class FilletsConfig:
    """Soil fillets: a regolith skirt banked against every rock (labelled regolith)."""

    enabled: bool = switch(False, "bank regolith against rocks")
    height: tuple = pair((0.05, 0.2), 0.0, 1.0, "fillet height at the rock, a share of the rock radius")
    width: tuple = pair((0.2, 0.6), 0.0, 3.0, "how far it reaches out, a share of the rock's footprint radius")


@dataclass(frozen=True)
class PhotometryConfig:
    """Lunar photometry for the regolith: lunar-Lambert with phase and opposition surge (notes, prototype A)."""

    enabled: bool = switch(False, "lunar-Lambert regolith BSDF instead of Lambert")
    opposition_b0: tuple = pair((0.5, 1.5), 0.0, 5.0, "opposition surge amplitude B0")
    opposition_h: tuple = pair((0.03, 0.10), 0.001, 1.0, "opposition surge width h")
    phase_beta: tuple = pair((0.5, 1.2), 0.0, 5.0, "phase function exp(-beta g), g in radians")
    lunar_l: tuple = pair((-1.0, -1.0), -1.0, 1.0, "limb-darkening weight L: -1 = McEwen's L(g), else drawn")
    shadow_floor: tuple = pair((0.015, 0.06), 0.0, 1.0, "light in cast shadows on flat ground, a share of "
                               "the sunlit ground's (real: 2-6%, ours 0: measured §2); needs render.ground_bounce > 0")


@dataclass(frozen=True)
class CameraModelConfig:
    """The camera at render time: exposure, tone, colour cast, vignetting, blur, noise, stretch, JPEG (measured §1, §2, §5)."""

    enabled: bool = switch(False, "develop every frame like a real camera product")
    target_luma: tuple = pair((75.0, 130.0), 1.0, 254.0, "auto exposure: the regolith's median luma (0-255) lands here")
    gamma: tuple = pair((0.9, 1.1), 0.3, 3.0, "tone: sRGB then y^(1/gamma)")
    grey_share: float = num(0.4, 0.0, 1.0, "share of frames with no colour cast (grey products)")
    red_over_green: tuple = pair((1.05, 1.25), 0.5, 2.0, "linear R/G of the regolith in tinted frames")
    blue_over_green: tuple = pair((0.62, 0.80), 0.3, 2.0, "linear B/G of the regolith in tinted frames")
    rock_cast: float = num(0.6, 0.0, 1.0, "rocks and hardware carry this share of the cast")
    vignette: tuple = pair((0.0, 0.1), 0.0, 1.0, "brightness 1 - a r^2 at normalised radius r")
    blur_share: float = num(0.5, 0.0, 1.0, "share of frames defocused")
    blur_sigma_px: tuple = pair((0.2, 0.8), 0.0, 10.0, "Gaussian defocus sigma in output pixels")
    read_noise: tuple = pair((0.0, 0.004), 0.0, 0.5, "linear read-noise sigma")
    shot_noise: tuple = pair((0.0, 0.008), 0.0, 0.5, "linear shot-noise sigma at signal 1 (scales with sqrt)")
    jpeg_share: float = num(0.5, 0.0, 1.0, "share of frames JPEG-compressed")
    jpeg_quality: tuple = pair((60, 90), 1, 100)
    jpeg_scale: tuple = pair((0.84, 1.0), 0.25, 1.0, "encode at this share of the size, then upsample (real: "
                             "432 -> 512, 0.84)")
    stretch_share: float = num(0.5, 0.0, 1.0, "share of frames squeezed horizontally, as 4:3 -> 1:1 products are")
    stretch: tuple = pair((0.70, 0.80), 0.25, 1.0, "horizontal squeeze (0.75 = 4:3 shown square)")


@dataclass(frozen=True)
class HardwareConfig:
    """Lander and rover hardware in view: foil, panels, struts (measured §6)."""

    enabled: bool = switch(False, "place hardware ahead of some cameras")
    rover_share: float = num(0.5, 0.0, 1.0, "share of layouts with a rover, ahead of one of their cameras")
    lander_share: float = num(0.25, 0.0, 1.0, "share of layouts with lander parts close below one of their cameras")
    rover_distance_m: tuple = pair((2.0, 8.0), 0.3, 100.0, "how far ahead a rover stands")
    lander_distance_m: tuple = pair((1.0, 2.5), 0.1, 100.0, "how far ahead a lander's footpad stands")
    size_m: tuple = pair((0.8, 2.0), 0.05, 20.0, "size of a piece")
    label: str = choice("regolith", ("regolith", "ignore"), "its class: regolith (not rock), as the dense real "
                        "masks label lander hardware, or ignore (255)")


@dataclass(frozen=True)
class TracksConfig:
    """Rover wheel tracks: two grooves with a tread pattern pressed into the regolith (measured §6)."""

    enabled: bool = switch(False, "wheel tracks ahead of some cameras")
    share: float = num(0.3, 0.0, 1.0, "share of layouts with a track pair running away ahead of one of "
                        "their cameras")
    depth_m: tuple = pair((0.01, 0.03), 0.0, 0.5, "groove depth")
    length_m: tuple = pair((6.0, 20.0), 0.5, 200.0)
    gauge_m: float = num(1.0, 0.1, 10.0, "distance between the two wheel tracks' centres")
    wheel_width_m: float = num(0.15, 0.02, 2.0)
    darkening: tuple = pair((0.6, 0.9), 0.0, 2.0, "groove albedo / regolith albedo (real: 0.57-0.84)")
    tread_period_m: float = num(0.04, 0.005, 1.0, "grouser spacing of the tread pattern")


LEVER_SECTIONS = ("microdetail", "pebbles", "ejecta", "label_policy", "rock_surface", "fillets", "photometry",
                  "camera_model", "hardware", "tracks")
