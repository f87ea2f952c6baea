"""What a model was trained on (`trained_on.json` in its model dir), so a report can tell a model
that saw real labels ("real-tuned") from a zero-shot one, even after the model dir is copied."""
from __future__ import annotations

import json
from pathlib import Path

from ..io import atomic_write_text

FILE = "trained_on.json"


def read_trained_on(model_dir) -> dict:
    """The model's provenance, or {} when it has none (embedded models, older runs)."""
    try:
        return json.loads((Path(model_dir) / FILE).read_text())
    except (OSError, ValueError):
        return {}


def write_trained_on(model_dir, data, init, frames) -> Path:
    """Record the training set, the init model and whether real labels were seen (here or in `init`)."""
    from ..dataset.coco import is_coco

    real_here = is_coco(data)
    parent = read_trained_on(_model_dir(init)) if init else {}
    record = {"data": str(Path(data).resolve()), "labels": "coco (sparse, real)" if real_here else "dataset",
              "val": frames.val_source, "train_frames": len(frames.train), "init": str(init) if init else None,
              "real_labels": bool(real_here or parent.get("real_labels")), "mixed_with": frames.mixed}
    return atomic_write_text(Path(model_dir) / FILE, json.dumps(record, indent=2) + "\n")


def _model_dir(init) -> Path:
    from .model import resolve_model_dir

    try:
        return resolve_model_dir(init)
    except Exception:  # noqa: BLE001 - a checkpoint file or a missing dir: no provenance to inherit
        return Path(init)
