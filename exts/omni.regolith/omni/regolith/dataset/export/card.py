"""The Hugging Face export's dataset card (README.md with a YAML header) and id2label.json.

The YAML `configs` list every split found in data/, so `load_dataset(DIR)` and the Hub viewer
find them; id2label.json is the file the transformers segmentation examples read.
"""
from __future__ import annotations

import json
from pathlib import Path

from ... import CLASS_NAMES, IGNORE_ID, __version__
from ...io import atomic_write_text
from .frames import Source

COLUMNS = {
    "image": "RGB frame, 8-bit sRGB PNG",
    "label": f"semantic mask PNG: {', '.join(f'{k} {v}' for k, v in CLASS_NAMES.items())}, {IGNORE_ID} ignore",
    "depth": "float32 (H, W) planar depth in metres along the optical axis, 0 where the pixel sees sky",
    "instance": "uint16 PNG: the rock each pixel sees (id stable within a rock layout), 0 = no rock",
    "index, layout, terrain_seed, layout_seed": "frame number, rock layout and the seeds of its terrain and rocks "
                                                "(split train/validation by terrain_seed)",
    "sun_*, *_albedo, texture_*, star_brightness, exposure, rock_count, rock_scale, camera_*, hfov_deg":
        "the frame's randomized parameters (docs/dataset-format.md of regolith)",
    "intrinsics": "OpenCV pinhole fx, fy, cx, cy (pixels), width, height",
    "cam_to_world": "4x4 camera-to-world matrix, OpenCV camera axes (x right, y down, z forward)",
    "close_boulder": "x_m, y_m, radius_m of a boulder placed ahead of the camera, or null",
}


def _splits(root: Path) -> dict[str, int]:
    """Split name -> rows, from the shards in data/."""
    import pyarrow.parquet as pq

    rows: dict[str, int] = {}
    for path in sorted((root / "data").glob("*-of-*.parquet")):
        split = path.name.split("-")[0]
        rows[split] = rows.get(split, 0) + pq.read_metadata(path).num_rows
    return rows


def _source_line(src: Source) -> str:
    try:
        m = json.loads((src.root / "manifest.json").read_text())
        w, h = m["resolution"]
        r = m.get("renderer", {})
        return (f"{w}x{h}, seed {m.get('seed')}, renderer {r.get('backend', '?')} ({r.get('variant', '?')}), "
                f"git revision {m.get('git_revision')}")
    except (OSError, ValueError, KeyError, TypeError):
        return "no readable manifest.json"


def yaml_features(features: dict) -> list:
    """`datasets` features (their JSON form) as the card's `dataset_info.features` YAML list."""
    out = []
    for name, f in features.items():
        kind = f.get("_type")
        if kind == "Image":
            out.append({"name": name, "dtype": "image"})
        elif kind == "Value":
            out.append({"name": name, "dtype": f["dtype"]})
        elif kind == "Array2D":
            out.append({"name": name, "dtype": {"array2_d": {"shape": list(f["shape"]), "dtype": f["dtype"]}}})
        else:
            out.append({"name": name, "struct": yaml_features(f)})
    return out


def card_header(splits: dict, features: dict) -> str:
    """The YAML header: what the Hub and `load_dataset` read (splits and their files, the features)."""
    import yaml

    header = {"pretty_name": "regolith synthetic lunar frames",
              "task_categories": ["image-segmentation", "depth-estimation"],
              "tags": ["synthetic", "lunar", "instance-segmentation"],
              "configs": [{"config_name": "default",
                           "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splits]}],
              "dataset_info": {"features": yaml_features(features)}}
    return f"---\n{yaml.safe_dump(header, sort_keys=False)}---"


def write_card(root: Path, src: Source, features: dict) -> None:
    splits = _splits(root)
    columns = [(k, v) for k, v in COLUMNS.items() if k != "instance" or "instance" in features]
    body = [
        "", "# regolith synthetic lunar frames", "",
        f"Procedurally generated lunar frames with exact labels, exported by `regolith export --format hf` "
        f"(regolith {__version__}). Last export read `{src.root.resolve()}`: {_source_line(src)}.", "",
        "| split | frames |", "|---|---|", *[f"| {k} | {v} |" for k, v in splits.items()], "",
        "## Columns", "", "| column | what it holds |", "|---|---|", *[f"| `{k}` | {v} |" for k, v in columns], "",
        "Class ids never change between datasets: " + json.dumps({str(k): v for k, v in CLASS_NAMES.items()})
        + f", {IGNORE_ID} = ignore (also in `id2label.json`).", "",
        "```python", "from datasets import load_dataset", "",
        'ds = load_dataset("path/to/this/folder")  # or the Hub repo you pushed it to',
        'frame = ds["train"][0]  # frame["image"], frame["label"]: PIL images; frame["depth"]: (H, W) lists',
        "```", "",
    ]
    atomic_write_text(root / "README.md", "\n".join([card_header(splits, features)] + body))
    atomic_write_text(root / "id2label.json", json.dumps({str(k): v for k, v in CLASS_NAMES.items()}) + "\n")
