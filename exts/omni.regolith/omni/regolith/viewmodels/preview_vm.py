"""Preview panel: a segmentation model applied to frames as they come, blended over the image.

`infer()` is called off the UI thread by the Kit view (a worker thread), so it only touches the
model and its own counters (under a lock); the view publishes the returned overlay on the UI
thread. The model loads lazily: `omni.regolith.inference` pulls in torch and transformers, which
the rest of the window never needs.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

import numpy as np

from .. import ROCK
from ..errors import RegolithError
from ..palette import colorize_mask


def load_segmenter(path: str | None):
    """`Segmenter.load(path)`; None loads the embedded default model."""
    from ..learn.inference import Segmenter

    return Segmenter.load(path or None)


class PreviewViewModel:
    def __init__(self, checkpoint: str = "", loader: Callable | None = None, alpha: float = 0.55,
                 window_s: float = 2.0):
        self.checkpoint = checkpoint  # '' = the embedded default model
        self.loader = loader or load_segmenter
        self.alpha = alpha
        self.segmenter = None
        self.status = "no model loaded"
        self.error = ""
        self.frames = 0
        self.rock_fraction = 0.0
        self.latency_ms = 0.0
        self._stamps: deque[float] = deque()
        self._window_s = window_s
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self.segmenter is not None

    def load(self) -> bool:
        """Load the checkpoint (blocking: call it from a worker thread in Kit)."""
        try:
            segmenter = self.loader(self.checkpoint or None)
        except (RegolithError, OSError, ImportError) as exc:
            self.segmenter, self.error = None, str(exc)
            self.status = f"error: {exc}"
            return False
        with self._lock:
            self.segmenter, self.error = segmenter, ""
            self.frames, self._stamps = 0, deque()
        self.status = f"loaded {self.checkpoint or 'the default model'}"
        return True

    def infer(self, image: np.ndarray) -> np.ndarray:
        """RGB(A) uint8 HxWx3|4 -> the class overlay as HxWx4 RGBA uint8 (alpha 255)."""
        if self.segmenter is None:
            raise RuntimeError("no model loaded: press Load first")
        rgb = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
        t0 = time.perf_counter()
        mask = self.segmenter.predict(rgb)
        now = time.perf_counter()
        overlay = colorize_mask(mask, rgb, self.alpha)
        with self._lock:
            self.latency_ms = (now - t0) * 1000.0
            self.frames += 1
            self.rock_fraction = float(np.mean(mask == ROCK))
            self._stamps.append(now)
            while self._stamps and now - self._stamps[0] > self._window_s:
                self._stamps.popleft()
        out = np.empty(rgb.shape[:2] + (4,), np.uint8)
        out[..., :3], out[..., 3] = overlay, 255
        return out

    @property
    def fps(self) -> float:
        """Frames per second over the last `window_s` seconds of inferences."""
        with self._lock:
            if len(self._stamps) < 2:
                return 0.0
            span = self._stamps[-1] - self._stamps[0]
            return (len(self._stamps) - 1) / span if span > 0 else 0.0

    def summary(self) -> str:
        if not self.loaded:
            return self.status
        return (f"{self.fps:.1f} frames/s | {self.latency_ms:.0f} ms inference | "
                f"rock {100 * self.rock_fraction:.1f}% | {self.frames} frames")
