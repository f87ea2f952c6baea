"""Encoding the drive video: stored PNG frames streamed, in order, into an .mp4 and a poster PNG.

H.264 through imageio-ffmpeg's bundled ffmpeg (libx264, yuv420p: plays everywhere; sizes are even,
faststart for the web). Without it (e.g. a GPU box with only OpenCV), OpenCV's VideoWriter: avc1
when its FFmpeg has an H.264 encoder, else mp4v (MPEG-4 Part 2), named so in the report.

A failed write must never replace a good video: ffmpeg runs here (imageio-ffmpeg's writer ignores
its exit status, so a full disk gave a truncated file and "wrote v.mp4"), its exit status is
checked, the new file is decoded and its frames counted, and only then renamed over `out`.
"""
from __future__ import annotations

import json
import math
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import ROCK
from ..errors import RenderError


@contextmanager
def _quiet_stderr():
    """Silence native libraries' stderr (file descriptor 2) for a moment; nothing else runs then."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class Encoder:
    """Streams RGB frames into an .mp4: imageio-ffmpeg's libx264, else OpenCV's VideoWriter."""

    def __init__(self, path: Path, width: int, height: int, fps: float, quality: int = 8, kind: str = "auto"):
        self.writer = self.ffmpeg = None
        if kind in ("auto", "imageio-ffmpeg"):
            try:
                import imageio_ffmpeg

                imageio_ffmpeg.get_ffmpeg_exe()  # RuntimeError when the package has no ffmpeg binary
            except (ImportError, RuntimeError) as exc:
                if kind != "auto":
                    raise RenderError(f"encoder imageio-ffmpeg unusable ({exc}); pip install imageio-ffmpeg") from None
            else:
                self.ffmpeg = _start_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe(), path, width, height, fps, quality)
                self.name = "libx264 via imageio-ffmpeg"
                return
        try:
            import cv2
        except ImportError:
            raise RenderError("no video encoder: pip install imageio-ffmpeg (preferred) or opencv-python") from None
        for fourcc, name in (("avc1", "H.264"), ("mp4v", "MPEG-4 Part 2: not for browsers; transcode to H.264")):
            with _quiet_stderr():  # pip wheels lack libx264: avc1 fails with several lines of noise
                self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), float(fps), (width, height))
            if self.writer.isOpened():
                self.name = f"OpenCV {fourcc} ({name})"
                return
        raise RenderError(f"OpenCV cannot write {path} (neither avc1 nor mp4v); pip install imageio-ffmpeg")

    def write(self, frame: np.ndarray) -> None:
        if self.ffmpeg is not None:
            try:
                self.ffmpeg.stdin.write(np.ascontiguousarray(frame).tobytes())
            except OSError:  # ffmpeg died (full disk, file size limit): close() says why
                self.close()
                raise RenderError("ffmpeg stopped reading frames") from None
        else:
            self.writer.write(np.ascontiguousarray(frame[..., ::-1]))

    def close(self) -> None:
        """Finish the file; RenderError when ffmpeg failed."""
        if self.ffmpeg is not None:
            proc, self.ffmpeg = self.ffmpeg, None
            try:
                proc.stdin.close()
            except OSError:
                pass
            code = proc.wait()
            proc.log.seek(0)
            tail = proc.log.read().decode(errors="replace").strip().splitlines()[-1:]
            proc.log.close()
            if code != 0:
                why = f"killed by {signal.strsignal(-code)}" if code < 0 else f"exit status {code}"
                raise RenderError(f"ffmpeg failed ({why}{': ' + tail[0] if tail else ''}); is the disk full?")
        elif self.writer is not None:
            self.writer.release()


def _start_ffmpeg(exe: str, path: Path, width: int, height: int, fps: float, quality: int):
    """ffmpeg reading raw RGB on stdin: libx264, yuv420p (odd sizes padded to even), faststart; the
    command imageio-ffmpeg's writer builds, with its stderr kept for the error message."""
    import subprocess
    import tempfile
    from fractions import Fraction

    pad = ["-vf", f"scale={width + width % 2}:{height + height % 2}"] if width % 2 or height % 2 else []
    cmd = [exe, "-y", "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{width}x{height}", "-pix_fmt", "rgb24",
           "-r", str(Fraction(fps).limit_denominator()), "-i", "-", "-an", "-vcodec", "libx264",
           "-pix_fmt", "yuv420p", "-crf", str(int((1 - quality / 10) * 51)), *pad, "-v", "error",
           "-movflags", "+faststart", str(path)]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log
    return proc


def check_video(path: Path, frames: int) -> None:
    """RenderError unless `path` decodes as `frames` video frames (checked before it replaces anything)."""
    if not path.is_file() or path.stat().st_size == 0:
        raise RenderError(f"{path}: the encoder wrote nothing; is the disk full?")
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):  # OpenCV wrote it: OpenCV counts
        import cv2

        cap = cv2.VideoCapture(str(path))
        counted = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
        cap.release()
    else:
        try:
            counted = imageio_ffmpeg.count_frames_and_secs(str(path))[0]  # decodes every frame
        except RuntimeError as exc:
            last = str(exc).strip().splitlines()[-1:] or ["no reason given"]
            raise RenderError(f"the new video does not decode ({last[0]}); is the disk full?") from None
    if counted != frames:
        raise RenderError(f"the new video holds {counted} of {frames} frames; is the disk full?")


def video_frame_path(work: Path, index: int) -> Path:
    """A finished, composited video frame in the work folder (six digits: frame order = name order)."""
    return work / f"{index:06d}.png"


def encode_frames(work: Path, n: int, out: Path, fps: float, quality: int = 8, encoder_kind: str = "auto",
                  progress: bool = True, timings=None):
    """Stream `work`/000000.png.. into `out` (atomically) and write the poster; returns
    (out, poster, encoder name, (w, h), video rock IoU or None)."""
    import os

    from PIL import Image
    from tqdm import tqdm

    from ..io import atomic_write_bytes
    from ..learn.metrics import per_class_iou

    t = time.perf_counter()
    files = [video_frame_path(work, i) for i in range(n)]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise RenderError(f"{work}: frames missing ({', '.join(missing[:3])}...); rerun to render them")
    with Image.open(files[0]) as im:
        w, h = im.size
    tmp = out.with_name(f".{out.stem}.partial.mp4")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cm, encoder = None, None
    try:
        encoder = Encoder(tmp, w, h, fps, quality, encoder_kind)
        for f in tqdm(files, unit="frame", desc=f"encode {out.name}", disable=not progress):
            with Image.open(f) as im:
                meta = json.loads(im.text.get("regolith", "{}"))
                encoder.write(np.asarray(im.convert("RGB")))
            if meta.get("confusion") is not None:
                cm = np.asarray(meta["confusion"]) + (0 if cm is None else cm)
        encoder.close()
        check_video(tmp, n)
        os.replace(tmp, out)
    except BaseException:
        if encoder is not None:
            try:
                encoder.close()
            except Exception:  # noqa: BLE001 - the original error matters, not the cleanup's
                pass
        tmp.unlink(missing_ok=True)
        raise
    poster = out.with_suffix(".png")
    atomic_write_bytes(poster, files[n // 2].read_bytes())
    if timings is not None:
        timings["encode_s"] = time.perf_counter() - t
    iou = None if cm is None else float(per_class_iou(cm)[ROCK])
    return out, poster, encoder.name, (w, h), (iou if iou is not None and math.isfinite(iou) else None)


def transcode_h264(src, dst, crf: int = 18) -> Path:
    """Re-encode a video (e.g. OpenCV's mp4v from a box without imageio-ffmpeg) as H.264 yuv420p."""
    import subprocess

    import imageio_ffmpeg

    dst = Path(dst)
    tmp = dst.with_name(f".{dst.stem}.partial.mp4")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(src), "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-crf", str(crf), "-movflags", "+faststart", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RenderError(f"ffmpeg could not transcode {src}: {proc.stderr.strip().splitlines()[-1:]}")
    tmp.replace(dst)
    return dst
