"""The camera at render time: what the dataset itself looks like after a real camera and data product.

Real frames carry auto exposure, a tone curve, a tan-brown cast (or none: grey products),
vignetting, defocus, sensor noise, a 4:3 -> 1:1 stretch and JPEG (measured §1, §2, §5). This
develops a rendered linear frame that way, in numpy, identically for any backend (Replicator's
LDR output would be linearised first). Photometric steps touch RGB only; the one geometric step,
the stretch, resamples the mask and depth with nearest sampling, so labels stay exact (and the
plan's intrinsics already describe the stretched frame: `plan.levers.resolved_levers`).
`learn/augment.py` still augments at training time; this is what the frames on disk look like.
"""
from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

from ..config.levers import CameraModelConfig
from ..plan.levers import CameraModelValues, stretch_rows

REC709 = np.array([0.2126, 0.7152, 0.0722], np.float32)
LUT_SIZE = 65536
CLIP_SHARE = 0.02  # auto exposure lets at most this share of lit pixels clip


def srgb_encode(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_decode(y):
    y = np.asarray(y, float)
    return np.where(y <= 0.04045, y / 12.92, ((y + 0.055) / 1.055) ** 2.4)


def _tone_lut(gamma: float) -> np.ndarray:
    """Linear [0, 1] in 1/65535 steps -> 8-bit: sRGB, then y^(1/gamma)."""
    y = srgb_encode(np.linspace(0.0, 1.0, LUT_SIZE)) ** (1.0 / gamma)
    return (y * 255.0 + 0.5).astype(np.uint8)


def exposure_gain(linear: np.ndarray, ground: np.ndarray, target_luma: float, gamma: float) -> float:
    """The gain that puts the regolith's median luma (`ground` pixels) at `target_luma` after the tone
    curve, but clips no more than `CLIP_SHARE` of the lit pixels (real frames clip 0-3%: measured §2)."""
    sub = linear[::3, ::3]
    values = (sub @ REC709)[ground[::3, ::3]]
    if not values.size or np.median(values) <= 1e-6:
        return 1.0
    target = float(srgb_decode((target_luma / 255.0) ** gamma))
    peak = sub.max(-1)
    lit = peak[peak > 1e-4]
    cap = 1.0 / max(float(np.quantile(lit, 1.0 - CLIP_SHARE)), 1e-6) if lit.size else np.inf
    return min(target / float(np.median(values)), cap)


def photometric(linear: np.ndarray, ground: np.ndarray, v: CameraModelValues, cfg: CameraModelConfig,
                seed) -> np.ndarray:
    """Exposure, colour cast, vignetting, defocus and noise on linear RGB, then the tone curve: uint8.
    `ground`: the regolith surfaces, metered by the exposure and given the full cast (rocks and
    hardware carry `rock_cast` of it: measured §1, §6)."""
    h, w = ground.shape
    img = linear * np.float32(exposure_gain(linear, ground, v.target_luma, v.gamma))
    gain = np.asarray(v.gain, np.float32)
    if np.any(gain != 1.0):
        other = 1.0 + cfg.rock_cast * (gain - 1.0)
        img *= np.where(ground[..., None], gain, other).astype(np.float32)
    if v.vignette > 0:
        img *= (1.0 - np.float32(v.vignette) * _radius2(h, w))[..., None]
    if v.blur_sigma_px > 0:
        img = gaussian_blur(img, v.blur_sigma_px)
    if v.read_noise > 0 or v.shot_noise > 0:
        sigma = np.sqrt(v.read_noise ** 2 + v.shot_noise ** 2 * np.maximum(img, 0.0))
        img = img + sigma * np.random.default_rng(seed).standard_normal(img.shape, np.float32)
    index = np.clip(np.rint(img * (LUT_SIZE - 1)), 0, LUT_SIZE - 1).astype(np.int32)
    return _tone_lut(v.gamma)[index]


@lru_cache(maxsize=4)
def _radius2(h: int, w: int) -> np.ndarray:
    """Squared distance from the image centre, 1 at the corners."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - (w - 1) / 2) ** 2 + (yy - (h - 1) / 2) ** 2) / (((w - 1) / 2) ** 2 + ((h - 1) / 2) ** 2)
    r2.flags.writeable = False  # shared by the cache
    return r2


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian over rows and columns, edges extended (a few taps: cheaper than scipy's)."""
    r = max(1, int(np.ceil(3.0 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    taps /= taps.sum()
    for axis in (0, 1):
        pad = [(r, r) if a == axis else (0, 0) for a in range(img.ndim)]
        src, out, n = np.pad(img, pad, mode="edge"), np.zeros_like(img), img.shape[axis]
        for k, w in enumerate(taps):
            out += w * (src[k:k + n] if axis == 0 else src[:, k:k + n])
        img = out
    return img


def stretch(rgb: np.ndarray, factor: float, labels: tuple) -> tuple:
    """Keep the middle `factor` of the rows and resample them to the full height (RGB bilinear, each
    (h, w) label array, e.g. mask and depth, nearest; None passes): a 4:3 frame shown square."""
    from PIL import Image

    h, w = rgb.shape[:2]
    top, rows = stretch_rows(h, factor)
    band = Image.fromarray(rgb).crop((0, top, w, top + rows)).resize((w, h), Image.BILINEAR)
    src = top + np.minimum(((np.arange(h) + 0.5) * rows / h).astype(int), rows - 1)
    return np.asarray(band), tuple(None if a is None else a[src] for a in labels)


def jpeg(rgb: np.ndarray, quality: int, scale: float) -> np.ndarray:
    """JPEG (4:2:0, IJG quality), encoded at `scale` of the size and upsampled back as real sets are."""
    from PIL import Image

    h, w = rgb.shape[:2]
    img = Image.fromarray(rgb)
    small = (max(8, round(w * scale)), max(8, round(h * scale)))
    if small != (w, h):
        img = img.resize(small, Image.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(quality), subsampling=2)
    out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return np.asarray(out.resize((w, h), Image.BICUBIC) if small != (w, h) else out)


def develop(linear: np.ndarray, ground: np.ndarray, labels: tuple, v: CameraModelValues, cfg: CameraModelConfig,
            seed) -> tuple:
    """A rendered linear frame as the camera product: (uint8 sRGB, the label arrays (mask, depth, ...)
    resampled as the stretch moved the pixels)."""
    rgb = photometric(linear, ground, v, cfg, seed)
    if v.stretch < 1.0:
        rgb, labels = stretch(rgb, v.stretch, labels)
    if v.jpeg_quality > 0:
        rgb = jpeg(rgb, v.jpeg_quality, v.jpeg_scale)
    return np.ascontiguousarray(rgb), tuple(None if a is None else np.ascontiguousarray(a) for a in labels)
