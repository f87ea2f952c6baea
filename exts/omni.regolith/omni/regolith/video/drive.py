"""`regolith render`: a rover drive rendered headless, segmented, overlaid and encoded as H.264.

Design (resumable, bounded memory):
- every finished frame is written, fully composited, as `<out>.frames/NNNNNN.png` (atomic: a PNG
  present is complete; its per-frame confusion matrix rides in a PNG text chunk). A rerun skips
  the frames present and renders the rest. `job.json` records what the frames are; a rerun with
  other settings stops with an error instead of mixing two videos (`fresh=True` starts over).
- encoding runs once at the end, streaming the PNGs in order (one frame in memory), into a
  temporary file renamed over `out`; a poster PNG goes beside it. The folder is then deleted
  unless `keep_frames`. An interrupted encode just reruns: the frames are still there.
- quality over dataset frames: more samples, and a soft sun (`cinematic`). Labels stay exact:
  one ray per pixel centre, as in the dataset.
"""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config.files import config_to_dict
from ..config.scene import Config
from ..config.video import NOT_IDENTITY, VideoConfig
from ..errors import ConfigError
from ..lock import FolderLock, lock_path
from .cinematic import CinematicRenderer
from .encode import encode_frames, video_frame_path
from .overlay import compose, rock_iou


def drive_frames(cfg: Config, v: VideoConfig):
    """(Scene with rocks kept off the track, [FrameRecord per frame]) for this config and drive."""
    from ..plan.record import stage_frame
    from ..scene.build import build_scene
    from ..scene.sun import side_light_azimuth
    from .path import camera_poses, plan_drive, track_points

    bare = build_scene(cfg, rock_count=0)
    n, step = v.frame_count, v.step_m
    radius = min(cfg.rocks.spread_m, 0.45 * cfg.terrain.size_m)
    drive = plan_drive(n * step + v.look_ahead_m + 1.0, cfg.seed if v.seed < 0 else v.seed, radius,
                       v.waypoint_spacing_m, v.max_turn_deg)
    poses = camera_poses(drive, bare.terrain, n, step, cfg.camera.height_m, cfg.camera.pitch_deg,
                         cfg.camera.hfov_deg, v.look_ahead_m, v.smoothing_m)
    scene = build_scene(cfg, terrain=bare.terrain, keep_clear=track_points(drive, n * step))
    end = poses[-1].position[:2] - poses[0].position[:2]
    heading = math.degrees(math.atan2(end[1], end[0])) if np.hypot(*end) > 0.5 else float(drive.heading_deg(0.0)[0])
    base = stage_frame(cfg, poses[0], v.width, v.height)
    base = dataclasses.replace(base, **drive_look(cfg, base, heading))
    azimuth = side_light_azimuth(heading) if v.side_light else base.sun_azimuth_deg
    frames = [dataclasses.replace(base, camera=p, sun_azimuth_deg=azimuth, exposure=base.exposure * v.exposure)
              for p in poses]
    return scene, frames


VIDEO_LEVERS = ("microdetail", "rock_surface", "photometry", "label_policy")  # per-frame values the drive uses


def video_scene_config(cfg: Config) -> Config:
    """The scene config a drive renders: the photoreal levers' look without the dataset camera model
    (a drive is shown as rendered, not degraded the way one camera's frames are) and without the
    hardware (placed for the stage's own camera, it would stand on the drive's track)."""
    from ..config.files import replace

    off = {name: {"enabled": False} for name in ("camera_model", "hardware") if getattr(cfg, name).enabled}
    return replace(cfg, **off) if off else cfg


def drive_look(cfg: Config, base, heading_deg: float) -> dict:
    """One draw of the levers' per-frame values for the whole drive (a steady look), plus the size
    rule in pixels: the same labels a dataset frame of this resolution gets."""
    from ..plan.levers import steady_look

    x, y = base.camera.position[:2]
    return {k: v for k, v in steady_look(cfg, x, y, heading_deg, base.intrinsics).items() if k in VIDEO_LEVERS}


# -- the job -----------------------------------------------------------------------------------
@dataclass
class VideoReport:
    path: Path
    poster: Path
    encoder: str
    frames: int
    rendered: int
    skipped: int
    size: tuple  # (width, height) of the video frames
    seconds: float
    timings: dict
    variant: str | None
    rock_iou: float | None  # over the whole video (pixel counts summed first); None without a model

    @property
    def frames_per_s(self) -> float:
        return self.rendered / self.seconds if self.rendered and self.seconds > 0 else 0.0


def frames_dir(out: Path) -> Path:
    return out.with_name(out.name + ".frames")


def _model_identity(model, no_model: bool):
    """(what to load, a JSON identity for job.json) without loading the weights."""
    from ..errors import ModelError
    from ..learn.inference import DEFAULT_MODEL_DIR, Segmenter
    from ..learn.model import resolve_model_dir

    if no_model:
        return None, None
    if isinstance(model, Segmenter):
        return model, "in-memory Segmenter"  # the caller vouches it is the same model on resume
    try:
        path = resolve_model_dir(model if model is not None else DEFAULT_MODEL_DIR)
    except ModelError as exc:
        raise ModelError(f"{exc} (or render the ground truth only with --no-model)") from None
    files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".safetensors", ".bin"))
    return path, {"path": str(path.resolve()), "files": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}}


def _claim(work: Path, job: dict, fresh: bool) -> FolderLock:
    """Own the frames folder for this job (locked: a second render of the same --out is refused);
    refuse to mix frames of different settings."""
    work.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(work, what="this video's frames folder")
    try:
        _check_job(work, job, fresh)
    except BaseException:
        lock.release()
        raise
    return lock


def _check_job(work: Path, job: dict, fresh: bool) -> None:
    for old in work.iterdir() if fresh else ():
        if old == lock_path(work):
            continue  # never the lock file: another process could then lock a new one beside ours
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()
    for stale in work.glob(".*.tmp"):  # an atomic write cut short by a kill
        stale.unlink(missing_ok=True)
    file = work / "job.json"
    job = json.loads(json.dumps(job))
    if file.exists():
        old = json.loads(file.read_text())
        if old != job:
            diff = [k for k in ("config", "model") if old.get(k) != job[k]] + [
                f"video.{k}" for k in job["video"] if old.get("video", {}).get(k) != job["video"][k]]
            raise ConfigError(f"{work} holds frames of another render (differs in {', '.join(diff)}); "
                              "rerun with the same settings to resume, or add --fresh to start over")
        return
    from ..io import atomic_write_text

    atomic_write_text(file, json.dumps(job, indent=1) + "\n")


def _write_frame(path: Path, frame: np.ndarray, meta: dict) -> None:
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from ..io import atomic_write_bytes

    info = PngInfo()
    info.add_text("regolith", json.dumps(meta))
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG", compress_level=1, pnginfo=info)
    atomic_write_bytes(path, buf.getvalue())


def render_video(cfg: Config, out, video: VideoConfig = VideoConfig(), model=None, no_model: bool = False,
                 device: str = "auto", variant: str | None = None, fresh: bool = False, keep_frames: bool = False,
                 progress: bool = True, on_frame=None) -> VideoReport:
    """Render, segment, overlay and encode the drive to `out` (.mp4) plus `<out stem>.png`; resumable.

    `model`: a model dir / RUN_DIR, a loaded `Segmenter`, or None for the embedded default model;
    `no_model`: ground-truth overlay only. `on_frame(index)` is called after each new frame.
    """
    out = Path(out)
    if out.suffix.lower() != ".mp4":
        raise ConfigError(f"--out {out}: the video must be an .mp4 file")
    if out.is_dir():  # found now, not at the rename after every frame is rendered
        raise ConfigError(f"--out {out}: a folder; name the .mp4 file to write")
    if no_model and model is not None:
        raise ConfigError("--model and --no-model contradict each other; pass one of them")
    if no_model and video.layout == "overlay" and video.overlay == "prediction":
        video = dataclasses.replace(video, overlay="truth")
    cfg = video_scene_config(cfg)
    source, model_id = _model_identity(model, no_model)
    work = frames_dir(out)
    identity = {k: v for k, v in dataclasses.asdict(video).items() if k not in NOT_IDENTITY}
    lock = _claim(work, {"config": config_to_dict(cfg), "video": identity, "model": model_id}, fresh)
    n = video.frame_count
    todo = [i for i in range(n) if not video_frame_path(work, i).exists()]
    t0 = time.perf_counter()
    timings = {"setup_s": 0.0, "render_s": 0.0, "predict_s": 0.0, "compose_s": 0.0, "encode_s": 0.0}
    variant_used = None
    try:
        if todo:
            variant_used = _render_frames(cfg, video, work, todo, source, device, variant, progress, on_frame,
                                          timings)
        path, poster, encoder, size, iou = encode_frames(work, n, out, video.fps, video.quality, video.encoder,
                                                         progress, timings)
        if not keep_frames:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        lock.release()
    return VideoReport(path, poster, encoder, n, len(todo), n - len(todo), size, time.perf_counter() - t0,
                       {k: round(v, 3) for k, v in timings.items()}, variant_used, iou)


def _load_segmenter(source, device, progress: bool):
    """The model to overlay (None: ground truth only), in fp32 off CUDA."""
    from ..learn.inference import Segmenter

    if source is None:
        return None
    if not progress:  # transformers' own "Loading weights" bar
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    seg = source if isinstance(source, Segmenter) else Segmenter.load(source, device)
    if seg.precision == "fp32":
        seg.model.float()  # a model exported in fp16 would fail on CPU
    return seg


def _render_frames(cfg, video, work: Path, todo: list, source, device, variant, progress, on_frame,
                   timings: dict) -> str:
    """Render, segment, compose and store the `todo` frames; returns the Mitsuba variant used."""
    from collections import deque

    from tqdm import tqdm

    from ..render.develop import finish
    from ..render.levers import render_levers
    from ..scene.geometry import geometry_from_scene
    from ..scene.stars import star_texture

    t0 = time.perf_counter()
    seg = _load_segmenter(source, device, progress)
    scene, frames = drive_frames(cfg, video)
    stars = star_texture(cfg.lighting.star_texture_width, cfg.lighting.star_count, cfg.seed)
    renderer = CinematicRenderer(video.width, video.height, video.spp, video.sun_passes,
                                 cfg.lighting.sun_angular_diameter_deg, variant or cfg.render.variant, stars,
                                 cfg.render.ground_bounce, levers=render_levers(cfg))
    renderer.set_geometry(geometry_from_scene(scene))
    timings["setup_s"] = time.perf_counter() - t0
    n = video.frame_count
    bar = tqdm(total=n, initial=n - len(todo), unit="frame", desc=f"render {work.name[:-len('.frames')]}",
               disable=not progress)
    pending: deque = deque()
    with ThreadPoolExecutor(2, thread_name_prefix="png") as pool:  # PNG encode overlaps the next render
        for i in todo:
            t = time.perf_counter()
            res = renderer.render(frames[i], seed=i)
            if res.stones is not None:  # the size rule labels small stones as a dataset frame's are
                res.mask = finish(res, frames[i], cfg)[1]
            t1 = time.perf_counter()
            pred = None if seg is None else seg.predict(res.rgb)
            t2 = time.perf_counter()
            iou, cm = rock_iou(res.mask, pred) if pred is not None else (None, None)
            frame = compose(res.rgb, res.mask, pred, video.layout, video.overlay, video.alpha,
                            video.regolith_alpha, iou)
            meta = {"index": i, "confusion": None if cm is None else cm.tolist()}
            pending.append(pool.submit(_write_frame, video_frame_path(work, i), frame, meta))
            while len(pending) > 4:  # bounded: never more than a few frames in memory
                pending.popleft().result()
            timings["render_s"] += t1 - t
            timings["predict_s"] += t2 - t1
            timings["compose_s"] += time.perf_counter() - t2
            bar.update(1)
            if on_frame is not None:
                on_frame(i)
        for f in pending:
            f.result()
    bar.close()
    return renderer.variant
