"""Finishing a raw lever frame: the label size rule, then the camera model (on the writer's threads)."""
from __future__ import annotations

from ..config.scene import Config
from ..plan.record import FrameRecord
from .camera_model import develop
from .contract import RenderResult
from .labels import rock_instances, size_rule


def finish(result: RenderResult, record: FrameRecord, cfg: Config) -> tuple:
    """(rgb uint8, mask, depth, instance or None) of a frame the levers left raw (linear RGB and/or
    stone ids). A rock instance map, where the renderer makes one (`render.instances`), follows the
    labels: the size rule's verdicts and the stretch's rows."""
    mask, depth, rgb = result.mask, result.depth, result.rgb
    instance = getattr(result, "instance", None)
    if result.stones is not None and record.label_policy is not None:
        p = record.label_policy
        mask = size_rule(mask, result.stones, p.rock_min_px, p.regolith_max_px, cfg.label_policy.enabled)
        instance = None if instance is None else rock_instances(instance, mask, result.stones)
    if result.linear is not None:
        ground = result.ground if result.ground is not None else mask == 0
        rgb, (mask, depth, instance) = develop(result.linear, ground, (mask, depth, instance), record.camera_model,
                                               cfg.camera_model, [record.layout_seed, record.index, 60])
    return rgb, mask, depth, instance


def finisher(result: RenderResult, record: FrameRecord, cfg: Config):
    """A callable that finishes the frame, or None when the renderer's result is already final."""
    if result.linear is None and result.stones is None:
        return None
    return lambda: finish(result, record, cfg)
