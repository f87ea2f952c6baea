"""Training samples from a COCO set with sparse labels: a fine-tune on a few real labelled frames.

Outlined rocks train as rock (1); outlined known non-rock things (hardware, tracks: the label
map's [non_rock] groups) as "not rock" (0: the model has no hardware class, and what it must
learn there is not to call them rock); every other pixel is 255 and adds nothing to the loss,
because sparse labels do not say it is not rock. Masks are rasterized once into a cache inside
the run dir (never next to the set), with each image's full label for the sparse validation.
Copies made from one source frame (Roboflow's augmentations) share a split key, so a split
without --val never puts a frame in training and its flipped copy in validation.
"""
from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from ..errors import DatasetError
from ..io import atomic_write_bytes, atomic_write_text, png_bytes


def _stamp(coco, labelmap) -> dict:
    st = coco.annotations.stat()
    return {"annotations": str(coco.annotations.resolve()), "bytes": st.st_size, "mtime_ns": st.st_mtime_ns,
            "label_map": labelmap.to_dict()}


def scan_coco(root, cache, labelmap=None) -> list:
    """(index, rgb, mask, split key, label) per image of the COCO set `root` (learn.data.Sample's
    fields), masks and labels cached under `cache`."""
    from ..dataset.coco import read_coco, read_sparse_label
    from ..dataset.labelmap import check_mapped, load_labelmap
    from .sparse import save_label

    if cache is None:
        raise DatasetError(f"{root}: a COCO set trains only with a run dir to cache its masks in")
    lmap = labelmap if labelmap is not None and not isinstance(labelmap, (str, Path)) else load_labelmap(labelmap)
    coco = read_coco(root)
    check_mapped(lmap, coco.used, coco.annotations)
    cache = Path(cache)
    stamp_file = cache / "source.json"
    fresh = stamp_file.is_file() and json.loads(stamp_file.read_text()) == _stamp(coco, lmap)
    sources = {s: k for k, s in enumerate(sorted({im.source for im in coco.images}))}
    samples = []
    for im in coco.images:
        mask, label = cache / "mask" / f"{im.id:06d}.png", cache / "labels" / f"{im.id:06d}.npz"
        if not (fresh and mask.is_file() and label.is_file()):
            with Image.open(im.file) as f:
                size = f.size
            sparse = read_sparse_label(im, lmap, size[::-1])
            save_label(sparse, label)
            atomic_write_bytes(mask, png_bytes(Image.fromarray(sparse.target(), "L")))
        samples.append((im.id, str(im.file), str(mask), sources[im.source], str(label)))
    if not fresh:
        atomic_write_text(stamp_file, json.dumps(_stamp(coco, lmap), indent=1) + "\n")
    return samples
