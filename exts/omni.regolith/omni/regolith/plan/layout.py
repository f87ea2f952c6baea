"""The scene of one layout of the plan: its terrain, its rocks (kept off every camera of the
layout, plus the close boulders its frames asked for) and the shared prototype meshes.
Both renderers build a layout's geometry from this.
"""
from __future__ import annotations

from functools import lru_cache

from ..config.scene import Config
from .levers import layout_requests
from .record import FrameRecord
from .sample import layout_boulders, layout_cameras, sample_frame, terrain_for


@lru_cache(maxsize=4)
def shared_prototypes(model: str, count: int, seed: int):
    from ..scene.rocks import make_prototypes

    return make_prototypes(model, count, seed)


def layout_scene(cfg: Config, layout_records: list[FrameRecord]):
    """One layout's Scene (both backends use it); rocks keep clear of every camera of the full layout,
    and the layout holds the close boulders any of its frames asked for."""
    from ..scene.build import Scene
    from ..scene.extras import build_extras, uses_extras
    from ..scene.scatter import scatter_rocks

    first = layout_records[0]
    per_layout = cfg.randomization.frames_per_layout
    start = first.layout * per_layout
    records = [sample_frame(cfg, i) for i in range(start, start + per_layout)]
    terrain = terrain_for(cfg, first.terrain_seed)
    cameras = layout_cameras(cfg, first.layout)
    rocks = scatter_rocks(terrain, cfg.rocks, first.layout_seed, first.rock_count, first.rock_scale,
                          keep_clear=cameras, boulders=layout_boulders(records))
    prototypes = shared_prototypes(cfg.rocks.model, cfg.rocks.prototypes, cfg.seed)
    if not uses_extras(cfg):
        return Scene(cfg, terrain, prototypes, rocks, first.camera)
    terrain, rocks, extras = build_extras(cfg, terrain, prototypes, rocks, cameras, first.layout_seed,
                                          layout_values(records))
    return Scene(cfg, terrain, prototypes, rocks, first.camera, extras)


def layout_values(records: list[FrameRecord]):
    """The geometry-shaping lever values of a layout: per-layout ones from its first frame, the
    hardware and tracks every frame asked for."""
    from ..scene.extras import ExtraValues

    first = records[0]
    return ExtraValues(
        pebble_density=first.pebbles.density_per_m2 if first.pebbles else None,
        ejecta_blocks=first.ejecta.blocks_per_crater if first.ejecta else None,
        fillets=(first.fillets.height, first.fillets.width) if first.fillets else None,
        hardware=layout_requests(records, "hardware"), tracks=layout_requests(records, "tracks"))
