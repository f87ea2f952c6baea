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
from ..dataset.job import Job, open_job
from ..dataset.writer import DatasetWriter
from ..errors import ConfigError
from ..plan.layout import layout_scene
from ..plan.record import FrameRecord
from .develop import finisher


@dataclass
class GenerateReport:
    rendered: int
    skipped: int
    seconds: float
    variant: str
    planned: int = 0  # frames in the dataset's plan (more than asked when an earlier run asked for more)

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


def layout_geometry(cfg: Config, layout_records: list[FrameRecord]):
    """The renderable arrays of one layout (the headless hot path: no USD round trip)."""
    from ..scene.geometry import geometry_from_scene

    return geometry_from_scene(layout_scene(cfg, layout_records))


def generate(cfg: Config, out: str | Path, frames: int, width: int | None = None, height: int | None = None,
             shard: tuple[int, int] = (0, 1), variant: str | None = None, workers: int = 4,
             progress: bool = True, star_texture=None) -> GenerateReport:
    """Render `frames` frames of `cfg`'s plan into the dataset `out` (resuming what is there)."""
    if frames < 1:
        raise ConfigError(f"--frames {frames}: must be at least 1")
    job = open_job(cfg, out, frames, width or cfg.render.width, height or cfg.render.height, shard)
    try:
        renderer = make_renderer(cfg, job, variant, star_texture)
        t0 = time.perf_counter()
        timings = render_job(job, renderer, workers, progress)
        seconds = time.perf_counter() - t0
        timings["total_s"] = seconds
        job.finish(renderer.info(), timings)
    finally:
        job.release()
    return GenerateReport(job.pending, job.mine - job.pending, seconds, renderer.variant, job.planned)


def make_renderer(cfg: Config, job: Job, variant: str | None = None, star_texture=None):
    """The Mitsuba renderer of a job: one per process (here, or in each `scale` worker)."""
    from ..scene.stars import star_texture as make_stars
    from .instances import check_rock_ids
    from .levers import render_levers
    from .mitsuba import MitsubaRenderer

    if cfg.render.instances:
        check_rock_ids(max(r.rock_count for r in job.plan) + 1)  # + a close boulder
    stars = star_texture if star_texture is not None else make_stars(
        cfg.lighting.star_texture_width, cfg.lighting.star_count, cfg.seed)
    return MitsubaRenderer(job.width, job.height, cfg.render.spp, variant or cfg.render.variant,
                           star_texture=stars, ground_bounce=cfg.render.ground_bounce,
                           instances=cfg.render.instances, levers=render_levers(cfg))


def render_job(job: Job, renderer, workers: int = 4, progress: bool = True) -> dict:
    """Render and write every missing frame of `job`, layout by layout; returns timings (s).

    The next layout's geometry (terrain, scatter, merge: numpy) is built on a thread while this
    one renders, and files are encoded and written on the writer's threads."""
    from tqdm import tqdm

    cfg, timings = job.config, defaultdict(float)
    layouts = list(job.todo)
    bar = tqdm(total=job.pending, unit="frame", disable=not progress, desc=f"generate {job.root.name}", smoothing=0.1)
    with DatasetWriter(job.root, workers=workers, depth_format=cfg.render.depth_format) as writer, \
            ThreadPoolExecutor(1, thread_name_prefix="layout") as pre:
        upcoming = pre.submit(layout_geometry, cfg, job.todo[layouts[0]]) if layouts else None
        for n, layout in enumerate(layouts):
            t = time.perf_counter()
            geometry = upcoming.result()
            if n + 1 < len(layouts):
                upcoming = pre.submit(layout_geometry, cfg, job.todo[layouts[n + 1]])
            renderer.set_geometry(geometry)
            timings["geometry_s"] += time.perf_counter() - t
            for record in job.todo[layout]:
                t = time.perf_counter()
                result = renderer.render(record, seed=record.index)
                timings["render_s"] += time.perf_counter() - t
                t = time.perf_counter()
                writer.write_frame(record.index, result.rgb, result.mask, result.depth, result.instance,
                                   finish=finisher(result, record, cfg))
                timings["write_submit_s"] += time.perf_counter() - t
                bar.update(1)
    bar.close()
    return dict(timings)
