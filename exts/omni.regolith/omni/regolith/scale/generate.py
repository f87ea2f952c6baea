"""A generation job as shard tasks on the engine; the manifest is merged once, by the parent.

The parent prepares the folder and writes the frame plan once (shards never race to write it),
splits this job's layouts into TASKS_PER_WORKER tasks per worker (small tasks balance uneven
layouts and make a lost worker's retry cheap), and writes manifest.json when every task is done,
with each worker's timings. A worker keeps its renderer between tasks, so it compiles kernels
and loads the star texture once. Frames are deterministic per record, so the dataset is byte
for byte the one a single process makes.
"""
from __future__ import annotations

import os
import socket
import time

from ..config.scene import Config
from ..dataset.job import open_job
from ..dataset.writer import remove_stale_temp_files, write_manifest
from ..render.generate import GenerateReport
from .engine import Task, open_engine, run_tasks

TASKS_PER_WORKER = 4
_RENDERER: dict = {}  # per worker process: the renderer of the last (resolution, look) key


def task_shards(shard: tuple[int, int], layouts: int, workers: int) -> list[tuple[int, int]]:
    """Sub-shards of `shard` (i/n): layouts i + n*j (mod n*k) for j < k; together exactly shard i/n's."""
    i, n = shard
    k = max(1, min(TASKS_PER_WORKER * workers, layouts))
    return [(i + n * j, n * k) for j in range(k)]


def _renderer(cfg: Config, job, variant: str | None):
    """This process's renderer for the job, made once (kernels compile on its first frames)."""
    from ..render.generate import make_renderer

    key = (job.width, job.height, variant, repr(cfg))  # a new config or resolution: a new renderer
    if _RENDERER.get("key") != key:
        _RENDERER.update(key=key, renderer=make_renderer(cfg, job, variant))
    return _RENDERER["renderer"]


def render_shard(cfg: Config, out: str, frames: int, width: int, height: int, shard: tuple[int, int],
                 variant: str | None = None, writers: int = 4) -> dict:
    """The task: render this shard's missing frames into `out` (in a worker process); its timings."""
    from ..render.generate import render_job

    t0 = time.perf_counter()
    job = open_job(cfg, out, frames, width, height, shard)
    try:
        renderer = _renderer(cfg, job, variant)
        setup = time.perf_counter() - t0
        timings = render_job(job, renderer, writers, progress=False)
    finally:
        job.release()
    return {"worker": _worker_name(), "host": socket.gethostname(), "pid": os.getpid(),
            "gpu": os.environ.get("CUDA_VISIBLE_DEVICES") or None, "shard": f"{shard[0]}/{shard[1]}",
            "rendered": job.pending, "setup_s": setup, "seconds": time.perf_counter() - t0,
            "renderer": renderer.info(), **timings}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return "main"


def merge_worker_timings(results: list[dict]) -> list[dict]:
    """Per worker: tasks, frames and seconds summed over its tasks (the manifest's `workers`)."""
    by_worker: dict[str, dict] = {}
    for r in results:
        w = by_worker.setdefault(r["worker"], {"worker": r["worker"], "host": r["host"], "gpu": r["gpu"],
                                               "tasks": 0, "rendered": 0})
        w["tasks"] += 1
        w["rendered"] += r["rendered"]
        for k in ("setup_s", "seconds", "geometry_s", "render_s", "write_submit_s"):
            w[k] = round(w.get(k, 0.0) + r.get(k, 0.0), 3)
    return sorted(by_worker.values(), key=lambda w: w["worker"])


def generate_scaled(cfg: Config, out, frames: int, slots, *, width: int | None = None, height: int | None = None,
                    shard: tuple[int, int] = (0, 1), variant: str | None = None, writers: int = 4,
                    address: str | None = None, kernel_cache: str | None = None, progress: bool = True,
                    client=None) -> GenerateReport:
    """Render `frames` frames of `cfg`'s plan into `out` with the engine's workers (or `client`'s)."""
    from tqdm import tqdm

    width, height = width or cfg.render.width, height or cfg.render.height
    t0 = time.perf_counter()
    job = open_job(cfg, out, frames, width, height, shard)  # the folder and the plan, once, here
    layouts = len({r.layout for r in job.plan if r.layout % shard[1] == shard[0]})
    bar = tqdm(total=job.pending, unit="frame", disable=not progress, desc=f"generate {job.root.name}")

    def submit(engine) -> dict:
        workers = sum(engine.nthreads().values()) or len(slots)  # task slots: a remote cluster counts its own
        tasks = [Task(f"generate-{a}-of-{b}", render_shard, (cfg, str(job.root), frames, width, height, (a, b),
                                                              variant, writers))
                 for a, b in task_shards(shard, layouts, workers)]
        return run_tasks(engine, tasks, on_done=lambda task, result: bar.update(result["rendered"]))

    results, workers = {}, len(slots)
    if job.pending and client is not None:
        results = submit(client)
    elif job.pending:
        with open_engine(slots, address, kernel_cache) as engine:
            results = submit(engine)
    bar.close()
    seconds = time.perf_counter() - t0
    if shard == (0, 1):
        remove_stale_temp_files(job.root, older_than_s=0)  # every writer is done: a killed one's leftovers go
    rows = list(results.values())
    info = dict(rows[0]["renderer"]) if rows else {"backend": "mitsuba", "variant": variant or cfg.render.variant}
    info.update(shard=f"{shard[0]}/{shard[1]}", workers=len({r["worker"] for r in rows}) or workers, tasks=len(rows),
                engine=f"dask {address}" if address else "dask local cluster")
    timings = {k: round(sum(r.get(k, 0.0) for r in rows), 3) for k in ("geometry_s", "render_s", "write_submit_s")}
    timings["total_s"] = round(seconds, 3)
    write_manifest(job.root, cfg, width, height, max(job.planned, len(job.plan)), info, timings,
                   extra={"workers": merge_worker_timings(rows)})
    job.release()
    return GenerateReport(job.pending, job.mine - job.pending, seconds, info["variant"], job.planned)
