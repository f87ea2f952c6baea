"""A tiny dataset in our layout (rgb/, mask/, frames.jsonl) with learnable shapes, for fast tests.

Sky is a dark band at the top, regolith a grey gradient, rocks bright discs with a dark shadow
side; a few pixels are 255 (ignore). Frames are spread over `terrains` terrain seeds.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image


def make_frame(rng: np.random.Generator, size: int = 64):
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w]
    horizon = int(rng.integers(h // 5, h // 3))
    mask = np.zeros((h, w), np.uint8)
    mask[:horizon] = 2
    ground = 90 + 60 * (yy / h) + rng.normal(0, 6, (h, w))
    rgb = np.repeat(ground[:, :, None], 3, 2)
    rgb[:horizon] = rng.normal(8, 3, (horizon, w, 1))
    for _ in range(int(rng.integers(2, 5))):
        cy, cx = rng.integers(horizon + 6, h - 4), rng.integers(4, w - 4)
        r = rng.uniform(3, 7)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        mask[disc] = 1
        rgb[disc] = 215 - 90 * ((xx[disc] - cx) / r).clip(0, 1)[:, None]
    mask[-1, :3] = 255  # a few ignore pixels
    return np.clip(rgb, 0, 255).astype(np.uint8), mask


def plan_record(index: int, **fields) -> dict:
    """A complete frames.jsonl record (frame 0 of the default plan, 64x64) with `fields` replaced."""
    from omni.regolith.config.files import load_config
    from omni.regolith.plan.sample import sample_plan

    base = _TEMPLATE.get("record")
    if base is None:
        base = _TEMPLATE["record"] = sample_plan(load_config(None, ["terrain.resolution=32"]), 1, 64, 64)[0].to_dict()
    return {**base, "index": index, **fields}


_TEMPLATE: dict = {}


def make_dataset(root, frames: int = 8, size: int = 64, terrains: int = 4, seed: int = 0) -> Path:
    root = Path(root)
    (root / "rgb").mkdir(parents=True, exist_ok=True)
    (root / "mask").mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(frames):
        rgb, mask = make_frame(rng, size)
        Image.fromarray(rgb).save(root / "rgb" / f"{i:05d}.png")
        Image.fromarray(mask).save(root / "mask" / f"{i:05d}.png")
        lines.append(json.dumps(plan_record(i, terrain_seed=100 + i % terrains, layout=i // 2, layout_seed=i)))
    (root / "frames.jsonl").write_text("\n".join(lines) + "\n")
    return root


COCO_CATEGORIES = [{"id": 0, "name": "objects"}, {"id": 1, "name": "artifact"}, {"id": 2, "name": "boulder"},
                   {"id": 3, "name": "crater"}, {"id": 4, "name": "rock"}, {"id": 5, "name": "rocky region"},
                   {"id": 6, "name": "rover path"}]


def square(x0, y0, x1, y1) -> list:
    """A COCO polygon ring covering exactly the pixels x0..x1-1, y0..y1-1 (integer corners)."""
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def make_coco(root, images: int = 4, size: int = 64, seed: int = 0, subdir: str = "") -> Path:
    """A Roboflow-style COCO set with sparse labels: each frame's rock discs outlined (a 16-gon),
    a hardware box and a track strip on some frames, a crater (ignored), and an unlabelled frame last."""
    root = Path(root)
    (root / subdir).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    doc = {"categories": COCO_CATEGORIES, "images": [], "annotations": []}
    for i in range(images):
        rgb, mask = make_frame(rng, size)
        name = f"{subdir + '/' if subdir else ''}frame{i}_png.rf.{i:08x}.jpg"
        Image.fromarray(rgb).save(root / name, quality=95)
        doc["images"].append({"id": i, "file_name": name, "width": size, "height": size,
                              "extra": {"name": f"frame{i % 2}.png"}})
        if i == images - 1:
            continue  # an image without annotations
        from scipy import ndimage

        labels, n = ndimage.label(mask == 1)
        for k in range(1, n + 1):
            ys, xs = np.nonzero(labels == k)
            cy, cx, r = ys.mean() + 0.5, xs.mean() + 0.5, max(1.5, np.sqrt(len(ys) / np.pi))
            t = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            ring = np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]).ravel().round(2).tolist()
            doc["annotations"].append({"image_id": i, "category_id": 4, "segmentation": [ring], "iscrowd": 0})
        if i % 2 == 0:
            hardware, track = square(0, size - 8, 10, size), square(size - 6, 30, size, size)
            doc["annotations"].append({"image_id": i, "category_id": 1, "segmentation": [hardware]})
            doc["annotations"].append({"image_id": i, "category_id": 6, "segmentation": [track]})
        doc["annotations"].append({"image_id": i, "category_id": 3, "segmentation": [square(20, 40, 30, 50)]})
    for k, a in enumerate(doc["annotations"]):
        a.update(id=k, bbox=[0, 0, 1, 1], area=1.0, iscrowd=0)
    (root / "_annotations.coco.json").write_text(json.dumps(doc))
    return root


def make_real_root(root, images: int = 3, size: int = 64) -> Path:
    """A stand-in for ../shared/data: real_lunar/ (frames + <id>_mask.png) and chandai_ce3/eval (COCO)."""
    root = Path(root)
    dense = root / "real_lunar"
    dense.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(images):
        rgb, mask = make_frame(rng, size)
        Image.fromarray(rgb).save(dense / f"PCAM{i}.png")
        Image.fromarray(mask).save(dense / f"PCAM{i}_mask.png")
    make_coco(root / "chandai_ce3" / "eval", images=images, size=size, seed=3)
    return root
