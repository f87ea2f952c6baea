"""Headless dataset generation: plan -> layout geometry -> Mitsuba -> dataset files.

Resumable (rerun the same command after a kill: only missing frames render, with the same
bytes as an uninterrupted run), shardable (`shard=(i, n)` renders layouts i, i+n, ...), and
grouped by layout so the BVH is rebuilt once per layout, not per frame.
"""
from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config.scene import Config
from ..dataset.layout import frame_done
from ..dataset.writer import DatasetWriter, prepare, remove_stale_temp_files, write_manifest
from ..errors import ConfigError
from ..plan.io import load_or_write_plan
from ..plan.layout import layout_scene
from ..plan.record import frame_params
from ..plan.sample import layout_of


@dataclass
class GenerateReport:
    rendered: int
    skipped: int
    seconds: float
    variant: str

    @property
    def frames_per_s(self) -> float:
        return self.rendered / self.seconds if self.seconds > 0 else 0.0


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 0, 1
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"--shard {text}: need 0 <= i < n")
    return i, n


def layout_geometry(cfg: Config, layout_records: list[dict]):
    """The renderable arrays of one layout (the headless hot path: no USD round trip)."""
    from .geometry import geometry_from_scene

    return geometry_from_scene(layout_scene(cfg, layout_records))


def generate(cfg: Config, out: str | Path, frames: int, width: int | None = None, height: int | None = None,
             shard: tuple[int, int] = (0, 1), variant: str | None = None, workers: int = 4,
             progress: bool = True, star_texture=None) -> GenerateReport:
    from tqdm import tqdm

    from ..scene.stars import star_texture as make_stars
    from .mitsuba import MitsubaRenderer

    root = Path(out)
    w, h = width or cfg.render.width, height or cfg.render.height
    if frames < 1:
        raise ConfigError(f"--frames {frames}: must be at least 1")
    prepare(root, cfg, w, h)
    remove_stale_temp_files(root)
    plan = load_or_write_plan(root, cfg, frames, w, h)
    todo = [r for r in plan if layout_of(r["index"], cfg) % shard[1] == shard[0] and not frame_done(root, r["index"])]
    mine = sum(1 for r in plan if layout_of(r["index"], cfg) % shard[1] == shard[0])
    groups = defaultdict(list)
    for record in todo:
        groups[record["layout"]].append(record)
    stars = star_texture if star_texture is not None else make_stars(
        cfg.lighting.star_texture_width, cfg.lighting.star_count, cfg.seed)
    renderer = MitsubaRenderer(w, h, cfg.render.spp, variant or cfg.render.variant, star_texture=stars,
                               ground_bounce=cfg.render.ground_bounce)
    t0 = time.perf_counter()
    timings = defaultdict(float)
    bar = tqdm(total=len(todo), unit="frame", disable=not progress, desc=f"generate {root.name}", smoothing=0.1)
    layouts = sorted(groups)
    with DatasetWriter(root, workers=workers, depth_format=cfg.render.depth_format) as writer, ThreadPoolExecutor(1, thread_name_prefix="layout") as pre:
        # the next layout's geometry (terrain, scatter, merge: numpy) is built while this one renders
        upcoming = pre.submit(layout_geometry, cfg, groups[layouts[0]]) if layouts else None
        for n, layout in enumerate(layouts):
            t = time.perf_counter()
            geometry = upcoming.result()
            if n + 1 < len(layouts):
                upcoming = pre.submit(layout_geometry, cfg, groups[layouts[n + 1]])
            renderer.set_geometry(geometry)
            timings["geometry_s"] += time.perf_counter() - t
            for record in groups[layout]:
                t = time.perf_counter()
                result = renderer.render(frame_params(record), seed=record["index"])
                timings["render_s"] += time.perf_counter() - t
                t = time.perf_counter()
                writer.write_frame(record["index"], result.rgb, result.mask, result.depth, record)
                timings["write_submit_s"] += time.perf_counter() - t
                bar.update(1)
    bar.close()
    seconds = time.perf_counter() - t0
    timings["total_s"] = seconds
    renderer_info = {"backend": "mitsuba", "variant": renderer.variant, "spp": cfg.render.spp,
                     "shard": f"{shard[0]}/{shard[1]}"}
    write_manifest(root, cfg, w, h, len(plan), renderer_info, dict(timings))
    return GenerateReport(len(todo), mine - len(todo), seconds, renderer.variant)
