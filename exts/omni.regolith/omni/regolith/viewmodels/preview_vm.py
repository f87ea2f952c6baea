"""Preview panel: a segmentation model applied to frames as they come, blended over the image.

`infer()` is called off the UI thread by the Kit view (a worker thread), so it only touches the
model and its own counters (under a lock); the view publishes the returned overlay on the UI
thread. The model loads lazily: `omni.regolith.inference` pulls in torch and transformers, which
the rest of the window never needs.

Two outputs: blended over the frame (`on_viewport=False`, for an image panel), or the class colours
alone with a uniform alpha (`on_viewport=True`), drawn on the live viewport as an overlay layer,
where the scene shows through. Two rates: inferences per second (`fps`) and overlays actually put
on screen (`display_fps`, counted by `shown()`); both over the last `window_s` seconds of an
injectable clock, so tests can drive time.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

import numpy as np

from .. import IGNORE_ID, ROCK
from ..errors import RegolithError
from ..palette import colorize_mask


def load_segmenter(path: str | None):
    """`Segmenter.load(path)`; None loads the embedded default model."""
    from ..learn.inference import Segmenter

    return Segmenter.load(path or None)


class FrameRate:
    """Events per second over a sliding window of `window_s` seconds (thread-safe)."""

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.perf_counter):
        self.window_s, self.clock = window_s, clock
        self.count = 0
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        with self._lock:
            self.count += 1
            self._stamps.append(now)
            while self._stamps and now - self._stamps[0] > self.window_s:
                self._stamps.popleft()

    def reset(self) -> None:
        with self._lock:
            self.count, self._stamps = 0, deque()

    @property
    def fps(self) -> float:
        with self._lock:
            if len(self._stamps) < 2:
                return 0.0
            span = self._stamps[-1] - self._stamps[0]
            return (len(self._stamps) - 1) / span if span > 0 else 0.0


def class_layer(mask: np.ndarray, alpha: float) -> np.ndarray:
    """Class colours as RGBA with a uniform alpha (0 where the model says nothing: ignore)."""
    out = np.empty(mask.shape + (4,), np.uint8)
    out[..., :3] = colorize_mask(mask)
    out[..., 3] = np.where(mask == IGNORE_ID, 0, int(round(255 * alpha))).astype(np.uint8)
    return out


class PreviewViewModel:
    def __init__(self, checkpoint: str = "", loader: Callable | None = None, alpha: float = 0.55,
                 window_s: float = 2.0, on_viewport: bool = False, clock: Callable[[], float] = time.perf_counter):
        self.checkpoint = checkpoint  # '' = the embedded default model
        self.loader = loader or load_segmenter
        self.alpha = alpha
        self.segmenter = None
        self.status = "no model loaded"
        self.error = ""
        self.frames = 0
        self.rock_fraction = 0.0
        self.latency_ms = 0.0
        self.on_viewport = on_viewport
        self.clock = clock
        self._rate = FrameRate(window_s, clock)
        self._display = FrameRate(window_s, clock)
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
            self.frames = 0
        self._rate.reset()
        self._display.reset()
        self.status = f"loaded {self.checkpoint or 'the default model'}"
        return True

    def infer(self, image: np.ndarray) -> np.ndarray:
        """RGB(A) uint8 HxWx3|4 -> HxWx4 RGBA uint8: the class layer for the viewport overlay
        (`on_viewport`), else the classes blended over the frame (alpha 255)."""
        if self.segmenter is None:
            raise RuntimeError("no model loaded: press Load first")
        rgb = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
        t0 = self.clock()
        mask = self.segmenter.predict(rgb)
        now = self.clock()
        with self._lock:
            self.latency_ms = (now - t0) * 1000.0
            self.frames += 1
            self.rock_fraction = float(np.mean(mask == ROCK))
        self._rate.tick(now)
        if self.on_viewport:
            return class_layer(mask, self.alpha)
        out = np.empty(rgb.shape[:2] + (4,), np.uint8)
        out[..., :3], out[..., 3] = colorize_mask(mask, rgb, self.alpha), 255
        return out

    def shown(self) -> None:
        """The view put an overlay on screen (UI thread)."""
        self._display.tick()

    @property
    def fps(self) -> float:
        """Inferences per second over the last `window_s` seconds."""
        return self._rate.fps

    @property
    def display_fps(self) -> float:
        """Overlays put on screen per second over the last `window_s` seconds."""
        return self._display.fps

    def overlay_text(self) -> str:
        """The line drawn on the viewport next to the overlay."""
        return (f"Regolith preview | {self.display_fps:.1f} fps | {self.latency_ms:.0f} ms inference | "
                f"rock {100 * self.rock_fraction:.1f}%")

    def summary(self) -> str:
        if not self.loaded:
            return self.status
        return (f"{self.fps:.1f} frames/s | {self.latency_ms:.0f} ms inference | "
                f"rock {100 * self.rock_fraction:.1f}% | {self.frames} frames")
