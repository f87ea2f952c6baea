"""Live preview: viewport capture -> segmentation on a worker thread -> overlay drawn on the
viewport itself (`overlay.ViewportOverlay`), with its frame rate; the Preview window holds only the
controls and the status line.

The capture callback may arrive on a render thread, so it only copies the pixels and hands them
to Kit's loop with `call_soon_threadsafe`; inference runs in a one-thread executor (the UI never
waits on the model); the overlay is published on the loop thread. One frame is in flight at a
time, so a slow model lowers the frame rate instead of queueing frames.
"""
from __future__ import annotations

import asyncio
import ctypes
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import omni.kit.app
import omni.ui as ui
from omni.kit.viewport.utility import capture_viewport_to_buffer, get_active_viewport

from .overlay import ViewportOverlay
from .widgets import text_row

CAPTURE_TIMEOUT_S = 5.0


def capsule_to_array(buffer, buffer_size: int, width: int, height: int) -> np.ndarray:
    """Copy an LDR RGBA8 capture (a PyCapsule around the pixels) into an HxWx4 array."""
    if buffer_size != width * height * 4:
        raise ValueError(f"viewport capture of {buffer_size} bytes is not {width}x{height} RGBA8 "
                         "(HDR capture is not supported)")
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.POINTER(ctypes.c_byte * buffer_size)
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    raw = get_pointer(buffer, None).contents
    return np.frombuffer(raw, np.uint8).reshape(height, width, 4).copy()


class PreviewPanel:
    def __init__(self, vm):
        self.vm = vm
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regolith-preview")
        self._task: asyncio.Task | None = None
        self._load_task: asyncio.Task | None = None
        self.overlay = ViewportOverlay()
        self._status = None
        self.shown = 0  # overlays published (tests read it)

    def build(self) -> None:
        vm = self.vm
        with ui.VStack(spacing=3, height=0):
            text_row("checkpoint (empty: default)", vm.checkpoint, lambda v: setattr(vm, "checkpoint", v))
            with ui.HStack(height=0, spacing=4):
                ui.Button("Load model", clicked_fn=self._on_load)
                ui.Button("Start", clicked_fn=self.start)
                ui.Button("Stop", clicked_fn=self.stop)
            self._status = ui.Label(vm.summary(), word_wrap=True, height=0)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _set_status(self, text: str) -> None:
        if self._status is not None:
            self._status.text = text

    def _on_load(self) -> None:
        if self._load_task is None or self._load_task.done():
            self._load_task = asyncio.ensure_future(self._load())

    async def _load(self) -> bool:
        self._set_status("loading model...")
        ok = await asyncio.get_running_loop().run_in_executor(self._pool, self.vm.load)
        self._set_status(self.vm.summary())
        return ok

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task = None
        self.overlay.detach()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        if not self.vm.loaded and not await self._load():
            return
        app = omni.kit.app.get_app()
        if not self.overlay.attach():
            self._set_status("no active viewport to draw the preview on")
            return
        while True:
            frame = await self._capture(loop)
            if frame is None:
                self._set_status("no active viewport to capture")
            else:
                overlay = await loop.run_in_executor(self._pool, self.vm.infer, frame)
                self._show(overlay)
            await app.next_update_async()

    async def _capture(self, loop) -> np.ndarray | None:
        viewport = get_active_viewport()
        if viewport is None:
            return None
        future = loop.create_future()

        def deliver(result) -> None:
            if not future.done():
                future.set_exception(result) if isinstance(result, Exception) else future.set_result(result)

        def on_capture(buffer, buffer_size, width, height, fmt) -> None:  # any thread
            try:
                result = capsule_to_array(buffer, buffer_size, width, height)
            except Exception as exc:  # noqa: BLE001 - reported on the loop thread
                result = exc
            loop.call_soon_threadsafe(deliver, result)

        capture_viewport_to_buffer(viewport, on_capture)
        return await asyncio.wait_for(future, CAPTURE_TIMEOUT_S)

    def _show(self, rgba: np.ndarray) -> None:
        self.vm.shown()
        self.overlay.show(rgba, self.vm.overlay_text())
        self.shown += 1
        self._set_status(self.vm.summary())

    def destroy(self) -> None:
        self.stop()
        if self._load_task is not None:
            self._load_task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.overlay.detach()
        self._status = None
