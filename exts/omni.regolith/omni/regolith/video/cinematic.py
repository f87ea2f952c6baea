"""A soft lunar sun for the video: several renders across the solar disc, averaged in linear light."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..render.contract import RenderResult
from ..render.mitsuba import MitsubaRenderer
from ..render.textures import linear_to_srgb8

# -- rendering ---------------------------------------------------------------------------------
# Fixed-point linear light (16 bit) both ways: a 720p frame's passes average in ~10 ms, not ~90 with floats;
# 1/65535 of linear is 0.05 of an sRGB step at the darkest end, so rounding stays below one step.
_V = np.arange(256) / 255


SRGB8_TO_LIN16 = (np.where(_V <= 0.04045, _V / 12.92, ((_V + 0.055) / 1.055) ** 2.4) * 65535 + 0.5).astype(np.uint16)


LIN16_TO_SRGB8 = linear_to_srgb8(np.arange(65536) / 65535)


def sun_disc_offsets(passes: int, diameter_deg: float) -> np.ndarray:
    """(passes, 2) (elevation, azimuth-arc) offsets in degrees, a sunflower spread over the disc."""
    if passes <= 1:
        return np.zeros((1, 2))
    k = np.arange(passes)
    r = np.sqrt((k + 0.5) / passes) * diameter_deg / 2
    a = k * np.pi * (3 - np.sqrt(5))
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


class CinematicRenderer(MitsubaRenderer):
    """MitsubaRenderer with a soft sun: `passes` renders of spp/passes samples, one sun direction each.

    Averages the passes' sRGB8 output in (16-bit) linear light: 8-bit rounding dithers out;
    mask and depth come from the first pass (the camera is the same in all of them). A render.py
    option to jitter the sun per sample would save the repeated per-pass label trace.
    """

    def __init__(self, width, height, spp, passes=1, sun_diameter_deg=0.53, variant="auto", star_texture=None,
                 ground_bounce=1.0, levers=None):
        self.passes = max(1, min(passes, spp))
        super().__init__(width, height, math.ceil(spp / self.passes), variant, star_texture, ground_bounce,
                         levers=levers)
        self.offsets = sun_disc_offsets(self.passes, sun_diameter_deg)

    def render(self, frame, seed: int = 0) -> RenderResult:
        if self.passes == 1:
            return super().render(frame, seed)
        acc, first = np.zeros((self.height, self.width, 3), np.uint32), None
        cos_el = max(math.cos(math.radians(frame.sun_elevation_deg)), 1e-3)
        for k, (d_el, d_arc) in enumerate(self.offsets):
            f = dataclasses.replace(frame, sun_elevation_deg=frame.sun_elevation_deg + d_el,
                                    sun_azimuth_deg=frame.sun_azimuth_deg + d_arc / cos_el)
            res = super().render(f, seed=seed * self.passes + k)
            np.add(acc, SRGB8_TO_LIN16.take(res.rgb), out=acc)
            first = first or res  # labels: the camera is the same in every pass
        mean = (acc + self.passes // 2) // self.passes
        return dataclasses.replace(first, rgb=LIN16_TO_SRGB8.take(mean))  # labels, stones: the first pass's
