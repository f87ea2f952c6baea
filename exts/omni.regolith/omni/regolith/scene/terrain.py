"""Heightfield regolith: multi-octave fractal noise plus impact craters.

Crater radii follow a truncated power law (cumulative N(>r) ~ r^-b), as measured crater
populations do; each crater is a parabolic bowl with a raised rim and an ejecta blanket that
falls off as (r/R)^-3. The grid is centred on the origin, Z up, metres.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.scene import CraterConfig, TerrainConfig


def power_law_sizes(rng: np.random.Generator, n: int, r_min: float, r_max: float, b: float) -> np.ndarray:
    """Sample `n` sizes from a truncated Pareto law with cumulative slope `b` (inverse CDF)."""
    u = rng.random(n)
    a, z = r_min ** -b, r_max ** -b
    return (a - u * (a - z)) ** (-1.0 / b)


def value_noise(rng: np.random.Generator, n: int, size_m: float, wavelength_m: float) -> np.ndarray:
    """One octave of smooth value noise on an n x n grid spanning `size_m`."""
    cells = max(1, int(np.ceil(size_m / wavelength_m)))
    lattice = rng.standard_normal((cells + 2, cells + 2))
    t = np.linspace(0.0, size_m / wavelength_m, n)
    i = np.minimum(t.astype(int), cells)
    f = t - i
    f = f * f * (3 - 2 * f)  # smoothstep: C1-continuous between lattice cells
    a = lattice[np.ix_(i, i)]
    b = lattice[np.ix_(i, i + 1)]
    c = lattice[np.ix_(i + 1, i)]
    d = lattice[np.ix_(i + 1, i + 1)]
    fy, fx = f[:, None], f[None, :]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def fractal_noise(rng: np.random.Generator, cfg: TerrainConfig) -> np.ndarray:
    n = cfg.resolution
    total = np.zeros((n, n))
    amp, wavelength, norm = 1.0, cfg.noise_wavelength_m, 0.0
    for _ in range(cfg.noise_octaves):
        total += amp * value_noise(rng, n, cfg.size_m, wavelength)
        norm += amp
        amp *= cfg.noise_persistence
        wavelength /= 2.0
    return total / max(norm, 1e-9) * cfg.noise_amplitude_m


def crater_profile(d: np.ndarray, depth: float, rim: float) -> np.ndarray:
    """Height change at normalised distance d = dist / radius: bowl, rim at d = 1, ejecta beyond."""
    bowl = rim - (depth + rim) * (1.0 - d * d)
    taper = np.clip((3.0 - d) / 1.0, 0.0, 1.0)  # ejecta fades to nothing by three radii
    ejecta = rim * np.maximum(d, 1.0) ** -3 * taper
    return np.where(d < 1.0, bowl, ejecta)


@dataclass(frozen=True)
class Heightfield:
    heights: np.ndarray  # (n, n) metres; row index = y, column index = x
    size_m: float
    craters: np.ndarray | None = None  # (k, 3) x, y, radius of its craters (ejecta blocks ring them)

    @property
    def n(self) -> int:
        return self.heights.shape[0]

    @property
    def axis(self) -> np.ndarray:
        return np.linspace(-self.size_m / 2, self.size_m / 2, self.n)

    def points(self) -> np.ndarray:
        xs = self.axis
        gx, gy = np.meshgrid(xs, xs)
        return np.stack([gx, gy, self.heights], -1).reshape(-1, 3).astype(np.float32)

    def triangles(self) -> np.ndarray:
        """(2 (n-1)^2, 3) counter-clockwise seen from above, so normals point up."""
        n = self.n
        idx = np.arange(n * n).reshape(n, n)
        a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
        c, d = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
        return np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]).astype(np.int32)

    def normals(self) -> np.ndarray:
        step = self.size_m / (self.n - 1)
        dzdy, dzdx = np.gradient(self.heights, step)
        nrm = np.stack([-dzdx, -dzdy, np.ones_like(dzdx)], -1)
        nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
        return nrm.reshape(-1, 3).astype(np.float32)

    def uvs(self) -> np.ndarray:
        t = np.linspace(0.0, 1.0, self.n)
        gu, gv = np.meshgrid(t, t)
        return np.stack([gu, gv], -1).reshape(-1, 2).astype(np.float32)

    def height_at(self, x, y) -> np.ndarray:
        """Bilinear height at world (x, y); points outside are clamped to the edge."""
        step = self.size_m / (self.n - 1)
        fx = np.clip((np.asarray(x) + self.size_m / 2) / step, 0, self.n - 1.000001)
        fy = np.clip((np.asarray(y) + self.size_m / 2) / step, 0, self.n - 1.000001)
        ix, iy = fx.astype(int), fy.astype(int)
        tx, ty = fx - ix, fy - iy
        h = self.heights
        top = h[iy, ix] * (1 - tx) + h[iy, ix + 1] * tx
        bottom = h[iy + 1, ix] * (1 - tx) + h[iy + 1, ix + 1] * tx
        return top * (1 - ty) + bottom * ty


def add_craters(heights: np.ndarray, size_m: float, cfg: CraterConfig, rng: np.random.Generator,
                record: list | None = None) -> np.ndarray:
    """Heights with craters added; their (x, y, radius) are appended to `record` if given."""
    n = heights.shape[0]
    radii = np.sort(power_law_sizes(rng, cfg.count, cfg.min_radius_m, cfg.max_radius_m, cfg.size_exponent))[::-1]
    centres = rng.uniform(-size_m / 2, size_m / 2, (cfg.count, 2))
    axis = np.linspace(-size_m / 2, size_m / 2, n)
    out = heights.copy()
    if record is not None:
        record += [(float(cx), float(cy), float(r)) for r, (cx, cy) in zip(radii, centres)]
    for r, (cx, cy) in zip(radii, centres):
        reach = 3.0 * r
        i0, i1 = np.searchsorted(axis, [cx - reach, cx + reach])
        j0, j1 = np.searchsorted(axis, [cy - reach, cy + reach])
        if i1 <= i0 or j1 <= j0:
            continue
        gx, gy = np.meshgrid(axis[i0:i1], axis[j0:j1])
        d = np.hypot(gx - cx, gy - cy) / r
        out[j0:j1, i0:i1] += crater_profile(d, cfg.depth_ratio * 2 * r, cfg.rim_height_ratio * 2 * r)
    return out


def make_heightfield(terrain: TerrainConfig, craters: CraterConfig, seed: int | None = None) -> Heightfield:
    """Deterministic for a given config and seed (default: `terrain.seed`)."""
    rng = np.random.default_rng([terrain.seed if seed is None else seed, 1])
    h = fractal_noise(rng, terrain)
    found: list = []
    h = add_craters(h, terrain.size_m, craters, rng, found)
    return Heightfield(h.astype(np.float64), terrain.size_m, np.array(found, float).reshape(-1, 3))
