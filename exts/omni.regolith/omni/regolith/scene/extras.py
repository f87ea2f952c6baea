"""The photoreal levers' geometry of one layout: ejecta blocks, per-rock albedo, fillets, pebbles,
hardware and wheel tracks, built from plain values so the plan and the config's own stage share it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..config.scene import Config
from .ejecta import ejecta_blocks
from .fillets import fillet_mesh
from .hardware import hardware_meshes
from .pebbles import pebble_prototypes, scatter_pebbles
from .scatter import RockLayout
from .terrain import Heightfield
from .tracks import TrackMesh, press, track_mesh

GEOMETRY_LEVERS = ("label_policy", "pebbles", "ejecta", "fillets", "rock_surface", "hardware", "tracks")


def uses_extras(cfg: Config) -> bool:
    """Whether any lever that shapes geometry or labels is on (then layouts carry `Extras`)."""
    return any(getattr(cfg, name).enabled for name in GEOMETRY_LEVERS)


@dataclass(frozen=True)
class ExtraValues:
    """A layout's lever values that shape geometry (from its frame records, or the stage's defaults)."""

    pebble_density: float | None = None
    ejecta_blocks: int | None = None
    fillets: tuple | None = None  # (height, width)
    hardware: list = field(default_factory=list)  # (kind, x, y, heading_deg, size_m, seed)
    tracks: list = field(default_factory=list)  # (x, y, heading_deg, curvature, length_m, depth_m)


@dataclass(frozen=True)
class Extras:
    rock_albedo: np.ndarray | None = None  # (rocks,) multiplier: dark basalt to bright breccia
    pebbles: RockLayout | None = None
    pebble_prototypes: list | None = None
    pebble_albedo: np.ndarray | None = None  # (pebbles,) multiplier
    fillets: tuple | None = None  # (points, triangles)
    tracks: TrackMesh | None = None
    hardware: dict = field(default_factory=dict)  # material -> (points, triangles)


def _join(a: RockLayout, b: RockLayout) -> RockLayout:
    return RockLayout(*(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in dataclasses.fields(a)))


def build_extras(cfg: Config, terrain: Heightfield, prototypes, rocks: RockLayout, cameras: np.ndarray, seed: int,
                 values: ExtraValues) -> tuple[Heightfield, RockLayout, Extras]:
    """(terrain with tracks pressed in, rocks with ejecta blocks, the rest) of one layout."""
    if values.ejecta_blocks is not None:
        rocks = _join(rocks, ejecta_blocks(terrain, cfg.rocks, cfg.ejecta, seed, values.ejecta_blocks, cameras))
    extras: dict = {}
    if cfg.rock_surface.enabled:
        lo, hi = np.log(cfg.rock_surface.instance_albedo[0]), np.log(max(cfg.rock_surface.instance_albedo))
        extras["rock_albedo"] = np.exp(np.random.default_rng([seed, 12]).uniform(lo, hi, len(rocks))).astype(np.float32)
    if values.fillets is not None:
        extras["fillets"] = fillet_mesh(terrain, prototypes, rocks, *values.fillets, seed)
    if values.pebble_density is not None:
        layout, albedo = scatter_pebbles(terrain, cameras, values.pebble_density, cfg.pebbles, seed)
        extras.update(pebbles=layout, pebble_albedo=albedo, pebble_prototypes=pebble_prototypes(cfg.seed))
    if values.hardware:
        extras["hardware"] = hardware_meshes(terrain, values.hardware, cameras)
    if values.tracks:
        extras["tracks"] = track_mesh(terrain, values.tracks, cfg.tracks)
        terrain = press(terrain, values.tracks, cfg.tracks)
    return terrain, rocks, Extras(**extras)


def stage_values(cfg: Config, camera) -> ExtraValues:
    """The config's own stage: mid-range values, one rover and one track ahead of its camera."""
    mid = lambda pair: (pair[0] + pair[1]) / 2  # noqa: E731
    x, y, z = camera.position
    fx, fy = camera.forward[:2] / max(np.linalg.norm(camera.forward[:2]), 1e-9)
    heading = float(np.degrees(np.arctan2(fy, fx)))
    return ExtraValues(
        pebble_density=mid(cfg.pebbles.density_per_m2) if cfg.pebbles.enabled else None,
        ejecta_blocks=int(round(mid(cfg.ejecta.blocks_per_crater))) if cfg.ejecta.enabled else None,
        fillets=(mid(cfg.fillets.height), mid(cfg.fillets.width)) if cfg.fillets.enabled else None,
        hardware=[("rover", x + 5 * fx - 1.5 * fy, y + 5 * fy + 1.5 * fx, heading + 60, mid(cfg.hardware.size_m), 0)]
        if cfg.hardware.enabled else [],
        tracks=[(x + 3 * fx + 4 * fy, y + 3 * fy - 4 * fx, heading + 90, 0.02, mid(cfg.tracks.length_m),
                 mid(cfg.tracks.depth_m))] if cfg.tracks.enabled else [])
