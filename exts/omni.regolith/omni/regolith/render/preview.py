"""Render a stage file headless: the picture, the class mask and depth of its own camera."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from ..io import atomic_write_bytes, npy_bytes, png_bytes
from ..palette import colorize_mask
from ..stage.read import open_stage, read_stage


def load_star_texture(stage, stage_path: Path):
    """The DomeLight's texture, resolved relative to the stage file, as float radiance."""
    from pxr import UsdLux

    dome = UsdLux.DomeLight(stage.GetPrimAtPath("/World/Stars"))
    if not dome:
        return None
    asset = dome.GetTextureFileAttr().Get()
    path = (stage_path.parent / asset.path).resolve() if asset and asset.path else None
    if path is None or not path.exists():
        return None
    return np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0


def with_lever_values(cfg, frame, width: int, height: int):
    """The stage frame with the levers' steady look at this resolution (`plan.levers.steady_look`);
    the geometry comes from the stage itself."""
    from ..plan.levers import steady_look

    frame = dataclasses.replace(frame, index=0, intrinsics=frame.camera.intrinsics(width, height))
    x, y = frame.camera.position[:2]
    return dataclasses.replace(frame, **steady_look(cfg, x, y, frame.camera_yaw_deg, frame.intrinsics))


def render_preview(stage_path, out, resolution=None, spp=None, variant=None) -> list[Path]:
    from .develop import finisher
    from .levers import render_levers
    from .mitsuba import MitsubaRenderer

    stage_path, out = Path(stage_path), Path(out)
    stage = open_stage(stage_path)
    geometry, frame, cfg = read_stage(stage)
    w, h = resolution or (cfg.render.width, cfg.render.height)
    levers = render_levers(cfg)
    renderer = MitsubaRenderer(w, h, spp or cfg.render.spp, variant or cfg.render.variant,
                               star_texture=load_star_texture(stage, stage_path), ground_bounce=cfg.render.ground_bounce,
                               levers=levers)
    if levers is not None:
        frame = with_lever_values(cfg, frame, w, h)
    renderer.set_geometry(geometry)
    result = renderer.render(frame)
    if (done := finisher(result, frame, cfg)) is not None:  # the levers left the frame raw
        rgb, mask, depth, _ = done()
        result = dataclasses.replace(result, rgb=rgb, mask=mask, depth=depth)
    mask_path = out.with_name(out.stem + "_mask.png")
    depth_path = out.with_name(out.stem + "_depth.npy")
    atomic_write_bytes(out, png_bytes(Image.fromarray(result.rgb)))
    atomic_write_bytes(mask_path, png_bytes(Image.fromarray(colorize_mask(result.mask, result.rgb))))
    atomic_write_bytes(depth_path, npy_bytes(result.depth))
    return [out, mask_path, depth_path]
