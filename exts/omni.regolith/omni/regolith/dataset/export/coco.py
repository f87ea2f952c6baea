"""COCO instance segmentation: one annotation per visible rock, as compressed RLE from instance/.

Category ids are our class ids (rock = 1, the same in every dataset and run); regolith and sky are
not exported as COCO "stuff" (their id 0 would be COCO's background; the semantic masks carry
them, and the Hugging Face export has them). Image ids are frame indices and annotation ids are
`index * 65536 + rock id`, so a re-export gives the same ids. Each image's `extra` holds the
frame's record (sun, camera, intrinsics, cam_to_world, ...) and its other files.

The JSON is streamed: annotations go straight to the output's temp file and image entries to a
second, anonymous temp file appended at the end; the finished file replaces `out` atomically.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ... import ROCK, __version__
from ...errors import ConfigError
from ...io import atomic_file
from .frames import ExportReport, SourceFrame, open_source, read_ahead, read_png, require
from .target import remove_temps

ROCK_CATEGORY = {"id": ROCK, "name": "rock", "supercategory": "lunar"}
ANNOTATION_STRIDE = 1 << 16  # rock ids are uint16


def rle_counts(instance: np.ndarray) -> dict[int, list[int]]:
    """Uncompressed COCO RLE counts of every id > 0 at once: column-major runs, zeros first."""
    flat = instance.T.ravel()
    n = flat.size
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts, ends = np.concatenate([[0], edges]), np.concatenate([edges, [n]])
    values = flat[starts]
    order = np.argsort(values, kind="stable")
    order = order[values[order] > 0]
    starts, ends, values = starts[order], ends[order], values[order]
    ids, first = np.unique(values, return_index=True)
    out = {}
    for k, s, e in zip(ids, np.split(starts, first[1:]), np.split(ends, first[1:])):
        counts = np.empty(2 * len(s) + 1, np.int64)
        counts[0::2] = np.concatenate([s, [n]]) - np.concatenate([[0], e])  # zeros before each run, and after
        counts[1::2] = e - s
        out[int(k)] = counts.tolist()
    return out


def frame_entries(frame: SourceFrame) -> tuple[dict, list[dict]]:
    """The COCO image entry of a frame and its rock annotations."""
    from pycocotools import mask as mask_utils

    instance = read_png(frame.paths["instance"])
    h, w = instance.shape
    files = {kind: f"{kind}/{path.name}" for kind, path in frame.paths.items()}
    image = {"id": frame.index, "file_name": files.pop("rgb"), "width": w, "height": h,
             "extra": {**frame.record.to_dict(), "files": files}}
    runs = rle_counts(instance)
    if not runs:
        return image, []
    rles = mask_utils.frPyObjects([{"size": [h, w], "counts": c} for c in runs.values()], h, w)
    areas, boxes = mask_utils.area(rles), mask_utils.toBbox(rles)
    anns = [{"id": frame.index * ANNOTATION_STRIDE + k, "image_id": frame.index, "category_id": ROCK,
             "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
             "area": int(area), "bbox": [float(v) for v in box], "iscrowd": 0, "rock_id": k}
            for k, rle, area, box in zip(runs, rles, areas, boxes)]
    return image, anns


def export_coco(root, out, workers: int = 2, progress: bool = True) -> ExportReport:
    """Write `out` (one .json) from the dataset `root`; an existing file is replaced only when done."""
    require("pycocotools", "coco", "pycocotools")
    src = open_source(root, need_instances=True)
    out = Path(out)
    if out.is_dir():
        raise ConfigError(f"--out {out}: is a folder; COCO is one file (e.g. {out / 'rocks.json'})")
    remove_temps(out.parent, out.name)
    t0 = time.perf_counter()
    info = {"description": "regolith synthetic lunar frames: rock instances", "version": "1.0",
            "contributor": f"regolith {__version__}", "date_created": datetime.now(timezone.utc).isoformat(),
            "source_dataset": str(src.root.resolve()), "image_root": "the dataset folder (file_name is rgb/NNNNN.png)"}
    annotations = 0
    with atomic_file(out, "w") as f, tempfile.TemporaryFile("w+", dir=out.parent) as images:
        f.write(f'{{"info": {json.dumps(info)}, "licenses": [], "categories": {json.dumps([ROCK_CATEGORY])}, '
                '"annotations": [')
        for n, (image, anns) in enumerate(read_ahead(frame_entries, src.frames, workers, desc="coco",
                                                     progress=progress)):
            images.write(("," if n else "") + json.dumps(image))
            for ann in anns:
                f.write(("," if annotations else "") + "\n" + json.dumps(ann))
                annotations += 1
        f.write('\n], "images": [')
        images.seek(0)
        shutil.copyfileobj(images, f)
        f.write("]}\n")
    return ExportReport("coco", out, len(src.frames), src.skipped, 0, time.perf_counter() - t0,
                        {"annotations": annotations})
