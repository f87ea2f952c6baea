"""The sun, in one convention: elevation above the horizon, azimuth clockwise from +Y (north).

`sun_direction` is what the Mitsuba renderer lights with; `sun_frame` is the same direction as a
rotation whose local +Z points at the sun, which is how a USD DistantLight (shining along its
local -Z) is oriented by both the stage author and the Replicator backend.
"""
from __future__ import annotations

import numpy as np


def sun_direction(elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """Unit vector from the ground toward the sun."""
    el, az = np.radians([elevation_deg, azimuth_deg])
    return np.array([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)])


def sun_frame(elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """(3, 3) rotation, columns x, y, z, with z toward the sun and x horizontal."""
    z = sun_direction(elevation_deg, azimuth_deg)
    x = np.cross([0.0, 0.0, 1.0], z) if abs(z[2]) < 0.999 else np.array([1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


def side_light_azimuth(heading_deg: float, offset_deg: float = 70.0) -> float:
    """Sun azimuth `offset_deg` left of a heading (degrees CCW from +X).

    Side light across a drive gives long shadows across the view, neither flat front light nor
    a backlit scene whose visible rock faces are all in shadow.
    """
    a = np.radians(heading_deg + offset_deg)  # CCW from +X
    return float(np.degrees(np.arctan2(np.cos(a), np.sin(a))) % 360.0)
