"""A rover drive across the terrain: the camera path of `regolith render`.

A centripetal Catmull-Rom spline (no cusps or loops between close waypoints) through seeded
waypoints inside the rock field, resampled at constant speed: frame i is `i * speed / fps`
metres along it. The camera rides `height_m` above a *smoothed* ground, as a rover's suspension
averages bumps over its wheelbase, so single terrain vertices never shake the picture. It looks
ahead along the path: yaw toward the point `look_ahead_m` ahead; body pitch and roll follow the
smoothed slope along and across the track. Rocks are kept off the track by passing
`track_points` to `scatter_rocks(keep_clear=...)`, as the dataset keeps them off its cameras.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scene.camera import CameraPose, look_rotation

GRID_M = 0.1  # ground samples along the path for smoothing


TRACK_WIDTH_M = 1.2  # wheel track: the span over which the side slope (roll) is measured


@dataclass(frozen=True)
class Drive:
    """A dense polyline along the spline: `s` arc length (m), `xy` (n, 2) points."""

    s: np.ndarray
    xy: np.ndarray

    @property
    def length_m(self) -> float:
        return float(self.s[-1])

    def at(self, s) -> np.ndarray:
        """(k, 2) points at arc lengths `s` (clamped to the path)."""
        s = np.clip(np.atleast_1d(np.asarray(s, float)), 0.0, self.length_m)
        return np.column_stack([np.interp(s, self.s, self.xy[:, 0]), np.interp(s, self.s, self.xy[:, 1])])

    def heading_deg(self, s) -> np.ndarray:
        """Direction of travel (CCW from +X) at arc lengths `s`, from a 0.5 m chord."""
        s = np.atleast_1d(np.asarray(s, float))
        d = self.at(s + 0.25) - self.at(s - 0.25)
        return np.degrees(np.arctan2(d[:, 1], d[:, 0]))


def waypoints(rng: np.random.Generator, length_m: float, radius_m: float, spacing_m: float = 8.0,
              max_turn_deg: float = 30.0) -> np.ndarray:
    """Waypoints of a gently turning drive that stays within `radius_m` of the field centre.

    Starts off-centre heading roughly through the middle; a waypoint that would leave half the
    radius turns back toward the centre, so long drives meander instead of leaving the terrain.
    """
    spacing = max(0.5, min(spacing_m, radius_m))
    start_r = 0.35 * radius_m
    a = rng.uniform(0, 2 * np.pi)
    pts = [np.array([np.cos(a), np.sin(a)]) * start_r]
    heading = a + np.pi + np.radians(rng.uniform(-30, 30))
    turn = np.radians(max_turn_deg)
    total = 0.0
    while total < length_m:
        heading += rng.uniform(-turn, turn)
        nxt = pts[-1] + spacing * np.array([np.cos(heading), np.sin(heading)])
        if np.linalg.norm(nxt) > 0.5 * radius_m:  # steer back toward the centre, no sharper than 2 turns
            to_centre = np.arctan2(-pts[-1][1], -pts[-1][0])
            delta = (to_centre - heading + np.pi) % (2 * np.pi) - np.pi
            heading += np.clip(delta, -2 * turn, 2 * turn)
            nxt = pts[-1] + spacing * np.array([np.cos(heading), np.sin(heading)])
        pts.append(nxt)
        total += spacing
    return np.array(pts)


def catmull_rom(points: np.ndarray, samples_per_segment: int = 64, alpha: float = 0.5) -> np.ndarray:
    """Centripetal (alpha 0.5) Catmull-Rom through every point; ends get mirrored phantom points."""
    p = np.asarray(points, float)
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0), 1e-6) ** alpha
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-6) ** alpha
        t3 = t2 + max(np.linalg.norm(p3 - p2), 1e-6) ** alpha
        t = np.linspace(t1, t2, samples_per_segment, endpoint=False)[:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    out.append(p[-2][None])
    return np.vstack(out)


def plan_drive(length_m: float, seed: int, radius_m: float, spacing_m: float = 8.0,
               max_turn_deg: float = 30.0) -> Drive:
    """A spline drive at least `length_m` long (callers add their look-ahead margin)."""
    rng = np.random.default_rng([seed, 31])
    pts = waypoints(rng, length_m + spacing_m, radius_m, spacing_m, max_turn_deg)
    dense = catmull_rom(pts)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(dense, axis=0), axis=1))])
    while s[-1] < length_m:  # a spline is never shorter than ~its chords, but be certain
        pts = np.vstack([pts, 2 * pts[-1] - pts[-2]])
        dense = catmull_rom(pts)
        s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(dense, axis=0), axis=1))])
    return Drive(s, dense)


def gaussian_smooth(values: np.ndarray, sigma_samples: float) -> np.ndarray:
    """1-D Gaussian blur, edges held (no droop toward zero at the path ends)."""
    if sigma_samples < 0.5:
        return values.copy()
    r = int(np.ceil(3 * sigma_samples))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_samples) ** 2)
    return np.convolve(np.pad(values, r, mode="edge"), k / k.sum(), mode="valid")


def camera_poses(drive: Drive, terrain, frames: int, step_m: float, height_m: float, pitch_deg: float,
                 hfov_deg: float, look_ahead_m: float = 3.0, smoothing_m: float = 1.5) -> list[CameraPose]:
    """One pose per frame, `step_m` apart along the drive (see the module docstring)."""
    s_grid = np.arange(0.0, drive.length_m + GRID_M, GRID_M)
    xy = drive.at(s_grid)
    side = np.radians(drive.heading_deg(s_grid) + 90.0)
    left = np.column_stack([np.cos(side), np.sin(side)]) * (TRACK_WIDTH_M / 2)
    sigma = smoothing_m / GRID_M
    ground = gaussian_smooth(terrain.height_at(xy[:, 0], xy[:, 1]), sigma)
    lateral = terrain.height_at(*(xy + left).T) - terrain.height_at(*(xy - left).T)
    lateral = gaussian_smooth(lateral / TRACK_WIDTH_M, sigma)  # rise toward the left per metre

    s = np.arange(frames) * step_m
    pos = drive.at(s)
    yaw = drive_yaw(drive, s, look_ahead_m)
    z = np.interp(s, s_grid, ground) + height_m
    z = np.maximum(z, terrain.height_at(pos[:, 0], pos[:, 1]) + 0.5 * height_m)  # never sink into a bump
    half = max(look_ahead_m, 0.5) / 2
    slope = (np.interp(s + half, s_grid, ground) - np.interp(s - half, s_grid, ground)) / (2 * half)
    pitch = pitch_deg + np.degrees(np.arctan(slope))
    roll = np.degrees(np.arctan(np.interp(s, s_grid, lateral)))  # left side up -> positive roll
    return [CameraPose(np.array([pos[i, 0], pos[i, 1], z[i]]), look_rotation(yaw[i], pitch[i], roll[i]),
                       float(hfov_deg)) for i in range(frames)]


def drive_yaw(drive: Drive, s: np.ndarray, look_ahead_m: float) -> np.ndarray:
    """Heading toward the point `look_ahead_m` ahead: turns begin before the corner, as a driver's do."""
    ahead = drive.at(s + max(look_ahead_m, 0.25)) - drive.at(s)
    return np.degrees(np.unwrap(np.arctan2(ahead[:, 1], ahead[:, 0])))


def track_points(drive: Drive, upto_m: float, step_m: float = 0.5) -> np.ndarray:
    """(k, 2) points along the driven part, for `scatter_rocks(keep_clear=...)`."""
    return drive.at(np.arange(0.0, min(upto_m, drive.length_m) + step_m, step_m))

