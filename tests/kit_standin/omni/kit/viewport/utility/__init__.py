"""Stand-in for `omni.kit.viewport.utility`: a viewport whose capture arrives on another thread
as a PyCapsule, the way the real capture delegates hand it over."""
import ctypes
import threading

import numpy as np

import standin

_PyCapsule_New = ctypes.pythonapi.PyCapsule_New
_PyCapsule_New.restype = ctypes.py_object
_PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class _ViewportAPI:
    def __init__(self, resolution=(64, 48)):
        self.resolution = resolution

    def get_render_product_path(self):
        return "/Render/RenderProduct_Viewport"


class _ViewportWindow:
    """`get_frame(name)`: a named omni.ui frame over the viewport (one per name), as NVIDIA's
    kit-extension-sample-ui-scene viewport_scene.py uses it."""

    frames: dict = {}

    def __init__(self, api):
        self.viewport_api = api

    def get_frame(self, name):
        import omni.ui as ui

        if name not in _ViewportWindow.frames:
            _ViewportWindow.frames[name] = ui.Frame()
        return _ViewportWindow.frames[name]


_viewport = {"api": _ViewportAPI()}


def set_active_viewport(api):
    _viewport["api"] = api


def get_active_viewport(usd_context_name=""):
    return _viewport["api"]


def get_active_viewport_window(window_name=None, wait_for_render=False, usd_context_name=""):
    api = _viewport["api"]
    return None if api is None else _ViewportWindow(api)


class _Capture:
    async def wait_for_result(self, completion_frames=2):
        return True


def capture_viewport_to_buffer(viewport_api, on_capture_fn, is_hdr=False):
    w, h = viewport_api.resolution
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    rgba[h // 2:, :, 1] = 220
    rgba[..., 3] = 255
    standin.calls.append(("capture_viewport_to_buffer", (w, h)))

    def deliver():
        buf = ctypes.create_string_buffer(rgba.tobytes(), rgba.nbytes)
        capsule = _PyCapsule_New(ctypes.addressof(buf), None, None)
        on_capture_fn(capsule, rgba.nbytes, w, h, "R8G8B8A8_UNORM")

    threading.Thread(target=deliver, name="standin-render-thread").start()
    return _Capture()
