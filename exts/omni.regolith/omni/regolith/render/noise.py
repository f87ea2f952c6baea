"""Procedural value noise for Dr.Jit kernels: 2D on the ground plane, 3D on rocks, with gradients.

Evaluated where a ray hits, on the device, so detail goes down to millimetres without textures
(a bitmap would need ~100k texels a side for the 80 m terrain, and Mitsuba bitmaps have no MIP
maps). Lattice points are hashed from integer coordinates (floor + Int32 reinterpret: a large
float offset would eat float32 precision). Octaves finer than ~1.5 ray footprints fade out, so
distant ground does not sparkle. Each octave is rotated, which hides the lattice's axes.
`value_noise_np` is the numpy twin the tests check the kernels against.
"""
from __future__ import annotations

import numpy as np

GRAD_RMS_2D = 1.09  # rms |gradient| of one 2D octave of unit wavelength (values in [-1, 1])
GRAD_RMS_3D = 1.15  # the same for 3D
OCTAVE_TURN = 0.7  # radians each octave is rotated by


def _hash(mi, seed, *coords):
    """Integer hash of lattice points -> Float in [0, 1)."""
    h = mi.UInt32(seed * 0x9E3779B9 & 0xFFFFFFFF)
    for c, prime in zip(coords, (0x8DA6B343, 0xD8163841, 0xCB1AB31F)):
        h = h ^ (c * prime)
    h = (h ^ (h >> 16)) * 0x7FEB352D
    h = (h ^ (h >> 15)) * 0x846CA68B
    h = h ^ (h >> 16)
    return mi.Float(h >> 8) * (1.0 / 16777216.0)


def _cell(mi, dr, x):
    x0 = dr.floor(x)
    t = x - x0
    return dr.reinterpret_array(mi.UInt32, mi.Int32(x0)), t, t * t * (3.0 - 2.0 * t), 6.0 * t * (1.0 - t)


def value_noise2(mi, x, y, seed: int):
    """(n, dn/dx, dn/dy): 2D value noise in [-1, 1] with smoothstep interpolation, lattice units."""
    import drjit as dr

    ix, _, sx, dsx = _cell(mi, dr, x)
    iy, _, sy, dsy = _cell(mi, dr, y)
    v00, v10 = _hash(mi, seed, ix, iy), _hash(mi, seed, ix + 1, iy)
    v01, v11 = _hash(mi, seed, ix, iy + 1), _hash(mi, seed, ix + 1, iy + 1)
    a, b = dr.lerp(v00, v10, sx), dr.lerp(v01, v11, sx)
    return 2.0 * dr.lerp(a, b, sy) - 1.0, 2.0 * dsx * dr.lerp(v10 - v00, v11 - v01, sy), 2.0 * dsy * (b - a)


def value_noise3(mi, x, y, z, seed: int):
    """(n, gradient Vector3f): 3D value noise in [-1, 1], lattice units."""
    import drjit as dr

    ix, _, sx, dsx = _cell(mi, dr, x)
    iy, _, sy, dsy = _cell(mi, dr, y)
    iz, _, sz, dsz = _cell(mi, dr, z)
    v = [[[_hash(mi, seed, ix + i, iy + j, iz + k) for i in (0, 1)] for j in (0, 1)] for k in (0, 1)]
    x00, x10 = dr.lerp(v[0][0][0], v[0][0][1], sx), dr.lerp(v[0][1][0], v[0][1][1], sx)
    x01, x11 = dr.lerp(v[1][0][0], v[1][0][1], sx), dr.lerp(v[1][1][0], v[1][1][1], sx)
    y0, y1 = dr.lerp(x00, x10, sy), dr.lerp(x01, x11, sy)
    n = dr.lerp(y0, y1, sz)
    ddx = [[v[k][j][1] - v[k][j][0] for j in (0, 1)] for k in (0, 1)]
    gx = dsx * dr.lerp(dr.lerp(ddx[0][0], ddx[0][1], sy), dr.lerp(ddx[1][0], ddx[1][1], sy), sz)
    gy = dsy * dr.lerp(x10 - x00, x11 - x01, sz)
    gz = dsz * (y1 - y0)
    return 2.0 * n - 1.0, mi.Vector3f(2.0 * gx, 2.0 * gy, 2.0 * gz)


def octave_fade(dr, wavelength: float, footprint):
    """1 for octaves well above the ray footprint, fading to 0 at 1.5 footprints."""
    return dr.clip(wavelength / (1.5 * footprint) - 1.0, 0.0, 1.0)


def fbm_plane(mi, p, footprint, min_wavelength: float, octaves: int, tilt, seed: int = 17, grad: bool = True):
    """(m, grad_x, grad_y): sum of rotated 2D octaves of world xy; weight (2^k)^-tilt; gradients
    per metre of a height field whose octave k has amplitude wavelength_k / GRAD_RMS_2D (zero
    without `grad`: the albedo alone needs none)."""
    import drjit as dr

    m, gx, gy = mi.Float(0.0), mi.Float(0.0), mi.Float(0.0)
    for k in range(octaves):
        lam = min_wavelength * 2.0 ** k
        c, s = float(np.cos(OCTAVE_TURN * k)), float(np.sin(OCTAVE_TURN * k))
        u, v = (c * p.x + s * p.y) * (1.0 / lam), (-s * p.x + c * p.y) * (1.0 / lam)
        n, du, dv = value_noise2(mi, u, v, seed + k)
        w = octave_fade(dr, lam, footprint) * dr.exp2(-tilt * k)
        m += n * w
        if grad:
            gx += w * (c * du - s * dv) * (1.0 / GRAD_RMS_2D)
            gy += w * (s * du + c * dv) * (1.0 / GRAD_RMS_2D)
    return m, gx, gy


def fbm_solid(mi, p, footprint, min_wavelength: float, octaves: int, seed: int = 41, grad: bool = True):
    """(m, gradient Vector3f) of 3D octaves at world point p (rocks: any face orientation)."""
    import drjit as dr

    m, g = mi.Float(0.0), mi.Vector3f(0.0)
    for k in range(octaves):
        lam = min_wavelength * 2.0 ** k
        n, gradient = value_noise3(mi, p.x * (1.0 / lam), p.y * (1.0 / lam), p.z * (1.0 / lam), seed + k)
        w = octave_fade(dr, lam, footprint)
        m += n * w
        if grad:
            g += gradient * (w * (1.0 / GRAD_RMS_3D))
    return m, g


def value_noise_np(x, y, seed: int) -> np.ndarray:
    """numpy twin of `value_noise2`'s value (tests)."""
    mask = 0xFFFFFFFF

    def hsh(i, j):
        h = (seed * 0x9E3779B9) & mask
        h ^= (i * 0x8DA6B343) & mask
        h ^= (j * 0xD8163841) & mask
        h = ((h ^ (h >> 16)) * 0x7FEB352D) & mask
        h = ((h ^ (h >> 15)) * 0x846CA68B) & mask
        return ((h ^ (h >> 16)) >> 8).astype(np.float64) / 16777216.0

    x0, y0 = np.floor(x), np.floor(y)
    tx, ty = x - x0, y - y0
    ix, iy = x0.astype(np.int64) & mask, y0.astype(np.int64) & mask
    sx, sy = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    a = hsh(ix, iy) + (hsh(ix + 1, iy) - hsh(ix, iy)) * sx
    b = hsh(ix, iy + 1) + (hsh(ix + 1, iy + 1) - hsh(ix, iy + 1)) * sx
    return 2 * (a + (b - a) * sy) - 1
