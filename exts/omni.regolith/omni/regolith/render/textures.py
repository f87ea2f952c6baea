"""Procedural albedo textures and the sRGB encoding shared by the renderers."""
from __future__ import annotations

import numpy as np

TEXTURE_SIZE = 1024


TEXTURE_OCTAVES_M = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def linear_to_srgb8(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    y = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return (y * 255 + 0.5).astype(np.uint8)


def texture_octaves(seed: int = 0, size: int = TEXTURE_SIZE, terrain_size_m: float = 80.0) -> np.ndarray:
    """(octaves, size, size) unit-variance noise layers at fixed wavelengths in metres."""
    from ..scene.terrain import value_noise

    rng = np.random.default_rng([seed, 5])
    layers = [value_noise(rng, size, terrain_size_m, w) for w in TEXTURE_OCTAVES_M]
    return np.stack([(l - l.mean()) / (l.std() + 1e-9) for l in layers]).astype(np.float32)


def texture_weights(albedo: float, scale_m: float, contrast: float) -> np.ndarray:
    """Octave weights of one texture family: noise centred on `scale_m` features, `contrast` spread."""
    w = np.exp(-0.5 * (np.log2(np.array(TEXTURE_OCTAVES_M) / scale_m) / 0.8) ** 2)
    return (w / np.linalg.norm(w) * albedo * contrast).astype(np.float32)
