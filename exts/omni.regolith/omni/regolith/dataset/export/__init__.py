"""`regolith export`: a dataset in formats other trainers read, streamed, resumable, written atomically.

- `frames`: the complete frames of a dataset and their records, read ahead on threads.
- `coco`: COCO instance segmentation (RLE) of the rocks, one JSON file.
- `hf`: a Hugging Face `datasets` dataset (parquet shards, `card`: README.md and id2label.json).
- `yolo`: Ultralytics YOLO segmentation (polygons, data.yaml).
- `target`: the export folder and its marker.
"""
from __future__ import annotations

FORMATS = ("coco", "hf", "yolo-seg")


def export(dataset, fmt: str, out, split: str = "train", workers: int = 2, progress: bool = True,
           shard_frames: int | None = None):
    """Export `dataset` as `fmt` into `out`; returns an `ExportReport`."""
    if fmt == "coco":
        from .coco import export_coco

        return export_coco(dataset, out, workers, progress)
    if fmt == "hf":
        from .hf import export_hf

        return export_hf(dataset, out, split, workers, progress, shard_frames)
    from .yolo import export_yolo

    return export_yolo(dataset, out, split, workers, progress)
