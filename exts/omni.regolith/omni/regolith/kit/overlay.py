"""The preview overlay drawn on the viewport itself, with its frame rate.

The active viewport window hands out named omni.ui frames layered over the rendered image
(`ViewportWindow.get_frame(name)`: the layer NVIDIA's viewport samples put their omni.ui.scene
SceneView in, kit-extension-sample-ui-scene's viewport_scene.py). Here it holds a stretched
`ImageWithProvider` with the class colours (alpha < 1, so the scene shows through) and a label with
the overlay's frames per second. The accounting (what rate, what text) is the view-model's.
"""
from __future__ import annotations

import numpy as np
import omni.ui as ui
from omni.kit.viewport.utility import get_active_viewport_window

FRAME_NAME = "omni.regolith.preview"
LABEL_STYLE = {"color": 0xFFFFFFFF, "font_size": 16, "background_color": 0x80000000}


class ViewportOverlay:
    def __init__(self, name: str = FRAME_NAME):
        self.name = name
        self._frame = None
        self._provider = None
        self._label = None
        self.frames = 0  # overlays drawn (tests read it)

    @property
    def attached(self) -> bool:
        return self._frame is not None

    def attach(self) -> bool:
        """Build the overlay layer in the active viewport; False when there is no viewport."""
        if self._frame is not None:
            return True
        window = get_active_viewport_window()
        if window is None:
            return False
        self._frame = window.get_frame(self.name)
        self._frame.clear()
        self._provider = ui.ByteImageProvider()
        with self._frame:
            with ui.ZStack():
                ui.ImageWithProvider(self._provider, fill_policy=ui.IwpFillPolicy.IWP_STRETCH)
                with ui.VStack():
                    self._label = ui.Label("", height=0, alignment=ui.Alignment.LEFT_TOP, style=LABEL_STYLE)
                    ui.Spacer()
        self._frame.visible = True
        return True

    def show(self, rgba: np.ndarray, text: str) -> None:
        if self._frame is None:
            return
        h, w = rgba.shape[:2]
        self._provider.set_data_array(np.ascontiguousarray(rgba, np.uint8), [w, h])
        self._label.text = text
        self.frames += 1

    def detach(self) -> None:
        """Remove the overlay's widgets from the viewport (the named frame stays, empty)."""
        if self._frame is not None:
            self._frame.clear()
            self._frame.visible = False
        self._frame = self._provider = self._label = None
