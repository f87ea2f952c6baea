"""Camera geometry in one convention: OpenCV (x right, y down, z forward), world Z up.

Every frame record stores this pose and the pinhole intrinsics, so depth back-projects to the
terrain. USD cameras look down -Z with +Y up; `usd_from_opencv` converts between the two.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

USD_FROM_OPENCV = np.diag([1.0, -1.0, -1.0])  # flip y (down -> up) and z (forward -> back)


@dataclass(frozen=True)
class CameraPose:
    position: np.ndarray  # (3,) world metres
    rotation: np.ndarray  # (3, 3) camera-to-world, columns = camera x (right), y (down), z (forward)
    hfov_deg: float

    def intrinsics(self, width: int, height: int) -> dict:
        """OpenCV pinhole intrinsics in pixels: pixel centres at integer coordinates, square pixels,
        principal point at the image centre ((w - 1) / 2, (h - 1) / 2)."""
        fx = (width / 2.0) / np.tan(np.radians(self.hfov_deg) / 2.0)
        return {"fx": fx, "fy": fx, "cx": (width - 1) / 2.0, "cy": (height - 1) / 2.0, "width": width, "height": height}

    def cam_to_world(self) -> np.ndarray:
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = self.rotation, self.position
        return m

    @property
    def forward(self) -> np.ndarray:
        return self.rotation[:, 2]

    def pixel_rays(self, width: int, height: int) -> np.ndarray:
        """(h, w, 3) world directions through pixel centres, z-component 1 in camera space."""
        k = self.intrinsics(width, height)
        u = (np.arange(width) - k["cx"]) / k["fx"]
        v = (np.arange(height) - k["cy"]) / k["fy"]
        gu, gv = np.meshgrid(u, v)
        cam = np.stack([gu, gv, np.ones_like(gu)], -1)
        return cam @ self.rotation.T

    def to_dict(self) -> dict:
        return {"position": self.position.tolist(), "rotation": self.rotation.tolist(), "hfov_deg": self.hfov_deg}

    @staticmethod
    def from_dict(d: dict) -> "CameraPose":
        return CameraPose(np.asarray(d["position"], float), np.asarray(d["rotation"], float), float(d["hfov_deg"]))


def look_rotation(yaw_deg: float, pitch_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """Camera-to-world rotation for a heading (CCW from +X), pitch (up positive) and roll."""
    yaw, pitch, roll = np.radians([yaw_deg, pitch_deg, roll_deg])
    f = np.array([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)])
    r = np.cross(f, [0.0, 0.0, 1.0])
    r /= np.linalg.norm(r)
    d = np.cross(f, r)
    c, s = np.cos(roll), np.sin(roll)
    r, d = c * r + s * d, -s * r + c * d
    return np.column_stack([r, d, f])


def rover_camera(terrain, x: float, y: float, height_m: float, yaw_deg: float, pitch_deg: float,
                 roll_deg: float, hfov_deg: float) -> CameraPose:
    """A camera `height_m` above the ground at (x, y)."""
    z = float(terrain.height_at(x, y)) + height_m
    return CameraPose(np.array([x, y, z], float), look_rotation(yaw_deg, pitch_deg, roll_deg), float(hfov_deg))


def focal_length_mm(hfov_deg: float, sensor_width_mm: float) -> float:
    """USD/Replicator focal length giving this horizontal field of view."""
    return sensor_width_mm / 2.0 / np.tan(np.radians(hfov_deg) / 2.0)

