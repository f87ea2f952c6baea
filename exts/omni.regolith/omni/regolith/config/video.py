"""The `[video]` table of `regolith render`: drive length, speed, look and encoding.

The video's sun is the scene's own `lighting` sun: `VIDEO_SUN` lowers it for the drive (long
shadows) as an override between the config file and `--set`, and `side_light` turns its azimuth
across the drive. No sun parameter is declared twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from .fields import build_section, choice, num, switch
from .files import merge, parse_overrides, read_toml, scene_config
from .scene import Config


@dataclass(frozen=True)
class VideoConfig:
    frames: int = num(0, 0, 1_000_000, "frames to render; 0: length_m / speed_mps * fps")
    length_m: float = num(2.4, 0.01, 100000.0, "drive length when frames is 0")
    speed_mps: float = num(1.2, 0.01, 100.0, "rover speed: frame i is i * speed / fps metres along")
    fps: float = num(24.0, 1.0, 240.0)
    width: int = num(320, 16, 8192)
    height: int = num(180, 16, 8192)
    spp: int = num(4, 1, 65536, "samples per pixel over all sun passes")
    sun_passes: int = num(4, 1, 256, "sun directions across the solar disc (soft shadows); 1: point sun")
    side_light: bool = switch(True, "sun azimuth 70 deg left of the drive's heading; false: lighting.sun_azimuth_deg")
    exposure: float = num(1.6, 0.0, 1000.0, "times render.exposure: the low sun lights the ground less")
    look_ahead_m: float = num(3.0, 0.0, 100.0, "the camera yaws toward the path point this far ahead")
    smoothing_m: float = num(1.5, 0.0, 100.0, "ground smoothing under the camera (suspension)")
    waypoint_spacing_m: float = num(8.0, 0.5, 1000.0)
    max_turn_deg: float = num(30.0, 0.0, 90.0, "largest heading change between waypoints")
    seed: int = num(-1, -1, 2**31 - 1, "drive seed; -1: the config's seed")
    layout: str = choice("overlay", ("overlay", "side-by-side"))
    overlay: str = choice("prediction", ("prediction", "truth"), "what the overlay layout shows")
    alpha: float = num(0.5, 0.0, 1.0, "overlay opacity over rock and sky")
    regolith_alpha: float = num(0.15, 0.0, 1.0, "overlay opacity over regolith: low, so the ground stays readable")
    quality: int = num(8, 1, 10, "H.264 quality (imageio-ffmpeg scale; 10 best)")
    encoder: str = choice("auto", ("auto", "imageio-ffmpeg", "opencv"))

    @property
    def frame_count(self) -> int:
        return self.frames or max(1, round(self.length_m / self.speed_mps * self.fps))

    @property
    def step_m(self) -> float:
        return self.speed_mps / self.fps


VIDEO_SUN = {"lighting": {"sun_elevation_deg": 8.0}}  # the drive's default: a low sun, long shadows
NOT_IDENTITY = ("quality", "encoder")  # change the encode only: resuming with other values is fine


def video_config(data: dict, prefix: str = "video.") -> VideoConfig:
    """Validate a [video] table (or CLI values, prefix '--'); one ConfigError lists every problem."""
    problems: list[str] = []
    vcfg = build_section(VideoConfig, data, prefix, problems)
    if problems:
        raise ConfigError("; ".join(p.replace("_", "-") if prefix == "--" else p for p in problems))
    return vcfg


def load_video_config(path=None, overrides=None) -> tuple[Config, VideoConfig]:
    """Like `load_config`, plus an optional [video] table (and `--set video.KEY=V`) in the same file.

    The scene config gets `VIDEO_SUN` over the file's values; `--set lighting.sun_elevation_deg=30`
    still wins."""
    data = read_toml(path)
    sets = parse_overrides(overrides)
    video = merge(data.get("video", {}) or {}, sets.get("video", {}) or {})
    return scene_config(merge(merge(data, VIDEO_SUN), sets)), video_config(video)
