"""Procedural equirectangular star field for the DomeLight (black sky, point stars)."""
from __future__ import annotations

import numpy as np


def star_texture(width: int, count: int, seed: int) -> np.ndarray:
    """(width/2, width, 3) float32 radiance: stars uniform on the sphere, magnitudes power-law."""
    h = width // 2
    rng = np.random.default_rng([seed, 4])
    img = np.zeros((h, width, 3), np.float32)
    z = rng.uniform(-1, 1, count)  # uniform on the sphere, not on the texture
    phi = rng.uniform(0, 2 * np.pi, count)
    rows = np.clip((np.arccos(z) / np.pi * h).astype(int), 0, h - 1)
    cols = np.clip((phi / (2 * np.pi) * width).astype(int), 0, width - 1)
    brightness = np.minimum(rng.pareto(1.6, count) * 0.3 + 0.05, 8.0)
    tint = 1.0 + rng.normal(0, 0.12, (count, 3))
    np.add.at(img, (rows, cols), brightness[:, None] * tint)
    return img


def to_png8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
