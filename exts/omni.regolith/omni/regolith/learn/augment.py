"""Sim-to-real augmentations: make clean renders look like real camera frames.

Two stages, split by where they are cheap:

* `geometric` (numpy + PIL, in DataLoader workers, per image): random resized crop and scale,
  horizontal flip, resize to the training size. Masks use nearest neighbour, so 255 stays 255.
* `photometric` (torch, on the training device, per batch): the camera pipeline in physical
  order. In linear light: exposure (stops), vignetting, lens blur, sensor shot + read noise; then
  the tone curve (gamma jitter), brightness/contrast, 8-bit quantisation and JPEG blocking
  (8x8 DCT quantisation with the standard tables, 4:2:0 chroma). On a GPU this costs ~nothing
  per image, where the same in numpy would need a dozen CPU cores at 600 images/s.

All randomness comes from explicit generators seeded from (run seed, epoch, position) or
(run seed, step), so a resumed run draws exactly what an uninterrupted one would. The switches
live in `config.train.AugmentConfig`.
"""
from __future__ import annotations

import math

import numpy as np

from ..config.train import AugmentConfig


def crop_box(rng: np.random.Generator, w: int, h: int, cfg: AugmentConfig):
    """(left, top, right, bottom) of a random crop with the configured area and relative aspect."""
    if not (cfg.enabled and cfg.crop):
        return 0, 0, w, h
    for _ in range(10):
        area = w * h * rng.uniform(*cfg.crop_scale)
        aspect = (w / h) * math.exp(rng.uniform(math.log(cfg.crop_ratio[0]), math.log(cfg.crop_ratio[1])))
        cw, ch = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            return x0, y0, x0 + cw, y0 + ch
    side = min(w, h)  # fallback: central square-ish crop of the whole short side
    return (w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side


def geometric(rgb, mask, rng: np.random.Generator, cfg: AugmentConfig, size: int):
    """PIL RGB + L mask -> (size, size, 3) uint8 and (size, size) uint8; mask resized nearest."""
    from PIL import Image

    box = crop_box(rng, rgb.width, rgb.height, cfg)
    flip = cfg.enabled and cfg.flip and rng.random() < 0.5
    img = rgb.resize((size, size), Image.BILINEAR, box=box, reducing_gap=None)
    msk = mask.resize((size, size), Image.NEAREST, box=box)
    img, msk = np.array(img), np.array(msk)  # writable copies: torch.from_numpy needs them
    if flip:
        img, msk = np.ascontiguousarray(img[:, ::-1]), np.ascontiguousarray(msk[:, ::-1])
    return img, msk


_JPEG_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
              14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
              49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]


_JPEG_CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
                47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32


def _uniform(g, n, lo, hi, device):
    import torch

    return torch.rand(n, generator=g, device=device) * (hi - lo) + lo


def _dct_matrix(device):
    import torch

    k = torch.arange(8, dtype=torch.float32, device=device)
    d = torch.cos((2 * k[None, :] + 1) * k[:, None] * math.pi / 16) * math.sqrt(2 / 8)
    d[0] /= math.sqrt(2)
    return d


def jpeg(x, quality, device):
    """Emulate baseline JPEG on (B, 3, H, W) in 0..255: YCbCr, 4:2:0 chroma, 8x8 DCT quantisation."""
    import torch
    import torch.nn.functional as F

    b, _, h, w = x.shape
    ph, pw = (-h) % 16, (-w) % 16
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    r, g, bl = x[:, 0], x[:, 1], x[:, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * bl
    cb = (bl - y) * 0.564 + 128
    cr = (r - y) * 0.713 + 128
    cb, cr = (F.avg_pool2d(c[:, None], 2) for c in (cb, cr))  # 4:2:0
    q = torch.as_tensor(quality, dtype=torch.float32, device=device).clamp(1, 100)
    scale = torch.where(q < 50, 5000 / q, 200 - 2 * q) / 100  # IJG quality scaling
    d = _dct_matrix(device)

    def code(ch, table):
        n, _, hh, ww = ch.shape
        t = torch.tensor(table, dtype=torch.float32, device=device).view(8, 8)
        t = (t[None] * scale.view(-1, 1, 1)).floor().clamp(1, 255).view(n, 1, 1, 1, 8, 8)
        blocks = (ch - 128).view(n, hh // 8, 8, ww // 8, 8).permute(0, 1, 3, 2, 4)[:, None]
        coef = d @ blocks @ d.T
        blocks = d.T @ (torch.round(coef / t) * t) @ d
        return blocks[:, 0].permute(0, 1, 3, 2, 4).reshape(n, 1, hh, ww) + 128

    y = code(y[:, None], _JPEG_LUMA)
    cb = F.interpolate(code(cb, _JPEG_CHROMA), scale_factor=2, mode="nearest")
    cr = F.interpolate(code(cr, _JPEG_CHROMA), scale_factor=2, mode="nearest")
    out = torch.cat([y + 1.403 * (cr - 128), y - 0.344 * (cb - 128) - 0.714 * (cr - 128), y + 1.773 * (cb - 128)], 1)
    return out[:, :, :h, :w].clamp(0, 255)


def _blur(x, sigma, max_sigma: float):
    """Per-image separable gaussian blur; sigma 0 leaves an image untouched. The kernel size comes
    from the configured maximum, not `sigma.max()`, which would stall the GPU queue every step."""
    import torch
    import torch.nn.functional as F

    b, c, h, w = x.shape
    radius = max(1, int(math.ceil(3 * max_sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    s = sigma.clamp_min(1e-3).view(b, 1)
    k = torch.exp(-0.5 * (t[None] / s) ** 2)
    k = torch.where(sigma.view(b, 1) > 1e-3, k, (t[None] == 0).to(x.dtype))
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (b*c, taps)
    y = x.reshape(1, b * c, h, w)
    y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode="reflect"), k.view(b * c, 1, 1, -1), groups=b * c)
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="reflect"), k.view(b * c, 1, -1, 1), groups=b * c)
    return y.view(b, c, h, w)


def photometric(images, g, cfg: AugmentConfig):
    """(B, 3, H, W) float in 0..255 (sRGB) -> augmented, same range; `g` a torch.Generator on its device."""
    import torch

    if not cfg.enabled:
        return images
    dev, b = images.device, images.shape[0]
    x = (images / 255.0).clamp(0, 1) ** 2.2  # to (approximately) linear light
    if cfg.exposure and cfg.exposure_stops > 0:
        x = x * torch.exp2(_uniform(g, b, -cfg.exposure_stops, cfg.exposure_stops, dev)).view(b, 1, 1, 1)
    if cfg.vignette and cfg.vignette_strength > 0:
        h, w = x.shape[-2:]
        yy = torch.linspace(-1, 1, h, device=dev).view(1, h, 1)
        xx = torch.linspace(-1, 1, w, device=dev).view(1, 1, w)
        cx, cy = (_uniform(g, b, -0.2, 0.2, dev).view(b, 1, 1) for _ in range(2))
        r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / 2  # 1 at a centred corner
        strength = _uniform(g, b, 0, cfg.vignette_strength, dev).view(b, 1, 1)
        x = x * (1 - strength * r2.clamp(0, 1.5)).clamp_min(0)[:, None]
    if cfg.blur and cfg.blur_p > 0 and cfg.blur_sigma_px[1] > 0:
        on = torch.rand(b, generator=g, device=dev) < cfg.blur_p
        sigma = torch.where(on, _uniform(g, b, *cfg.blur_sigma_px, dev), torch.zeros(b, device=dev))
        x = _blur(x, sigma, cfg.blur_sigma_px[1])
    if cfg.noise and (cfg.noise_read[1] > 0 or cfg.noise_shot[1] > 0):
        read = _uniform(g, b, *cfg.noise_read, dev).view(b, 1, 1, 1)
        shot = _uniform(g, b, *cfg.noise_shot, dev).view(b, 1, 1, 1)
        std = torch.sqrt(read**2 + shot**2 * x.clamp_min(0))
        x = x + std * torch.randn(x.shape, generator=g, device=dev)
    exponent = torch.full((b, 1, 1, 1), 1 / 2.2, device=dev)
    if cfg.gamma:
        exponent = exponent * _uniform(g, b, *cfg.gamma_range, dev).view(b, 1, 1, 1)
    x = x.clamp(0, 1) ** exponent
    if cfg.brightness_contrast:
        c = _uniform(g, b, 1 - cfg.contrast, 1 + cfg.contrast, dev).view(b, 1, 1, 1)
        shift = _uniform(g, b, -cfg.brightness, cfg.brightness, dev).view(b, 1, 1, 1)
        mean = x.mean((1, 2, 3), keepdim=True)
        x = (x - mean) * c + mean + shift
    x = torch.round(x.clamp(0, 1) * 255)  # the camera writes 8 bits
    if cfg.jpeg and cfg.jpeg_p > 0:
        on = torch.rand(b, generator=g, device=dev) < cfg.jpeg_p
        quality = _uniform(g, b, *cfg.jpeg_quality, dev).round()
        x = torch.where(on.view(b, 1, 1, 1), torch.round(jpeg(x, quality, dev)), x)  # no host sync
    return x
