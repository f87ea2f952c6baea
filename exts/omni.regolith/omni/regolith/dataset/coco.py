"""Labelled image sets in COCO format, as Roboflow, CVAT and Label Studio export them.

A set is a JSON file (`images`, `annotations`, `categories`) and its images, `file_name` relative
to the JSON's folder (Roboflow, Label Studio) or to an `images/` folder beside it (CVAT). Labels
are read as sparse: what is outlined is evidence, what is not is unlabelled (see rasterize.py and
the label map). Nothing is written next to the set.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DatasetError

ANNOTATION_FILES = ("_annotations.coco.json", "annotations.json", "result.json", "instances_default.json",
                    "annotations/instances_default.json")


@dataclass
class CocoImage:
    id: int
    file: Path
    width: int
    height: int
    source: str  # the frame it was made from (augmented copies share it): a split key
    annotations: list = field(default_factory=list)  # [(category name, segmentation)]

    @property
    def stem(self) -> str:
        return self.file.stem


@dataclass
class CocoSet:
    name: str
    root: Path  # the folder the set was given as
    annotations: Path  # the JSON file
    images: list  # CocoImage, in file order
    categories: dict  # id -> name
    used: set  # category names some annotation uses


def annotation_file(path) -> Path | None:
    """The COCO JSON of `path` (the file itself, or the usual names inside a folder), else None."""
    path = Path(path)
    if path.is_file():
        return path if path.suffix.lower() == ".json" else None
    if not path.is_dir():
        return None
    for name in ANNOTATION_FILES:
        if (path / name).is_file():
            return path / name
    return None


def is_coco(path) -> bool:
    return path is not None and annotation_file(path) is not None


def _source(entry: dict, file: Path) -> str:
    """The original frame: Roboflow's extra.name, else the file stem less Roboflow's `_png.rf.<hash>`."""
    extra = entry.get("extra") or {}
    if isinstance(extra, dict) and extra.get("name"):
        return Path(str(extra["name"])).stem
    return re.sub(r"(_(png|jpe?g|tiff?|bmp))?\.rf\.[0-9a-f]+$", "", file.stem, flags=re.I)


def _image_path(json_file: Path, file_name: str) -> Path | None:
    here = json_file.parent
    for base in (here, here / "images", here.parent / "images", here.parent):
        p = base / file_name
        if p.is_file():
            return p
    return None


def _load_json(json_file: Path) -> dict:
    try:
        doc = json.loads(json_file.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{json_file}: unreadable COCO JSON ({exc})") from None
    missing = [k for k in ("images", "annotations", "categories") if not isinstance(doc.get(k), list)]
    if missing:
        raise DatasetError(f"{json_file}: not a COCO file (no {', '.join(missing)} list)")
    return doc


def read_coco(path, name: str | None = None) -> CocoSet:
    """Read a COCO set: every image found, every annotation attached to its image."""
    path = Path(path)
    json_file = annotation_file(path)
    if json_file is None:
        raise DatasetError(f"{path}: no COCO annotations ({' or '.join(ANNOTATION_FILES[:2])}, or a .json file)")
    doc = _load_json(json_file)
    try:
        categories = {int(c["id"]): str(c["name"]) for c in doc["categories"]}
        images, missing = {}, []
        for e in doc["images"]:
            file = _image_path(json_file, str(e["file_name"]))
            if file is None:
                missing.append(str(e["file_name"]))
                continue
            images[int(e["id"])] = CocoImage(int(e["id"]), file, int(e["width"]), int(e["height"]), _source(e, file))
        used = set()
        for a in doc["annotations"]:
            image = images.get(int(a["image_id"]))
            category = categories.get(int(a["category_id"]))
            if category is None:
                raise DatasetError(f"{json_file}: annotation {a.get('id')} has category_id {a['category_id']}, "
                                   "which no category has")
            if image is not None:
                image.annotations.append((category, a["segmentation"]))
                used.add(category)
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{json_file}: malformed COCO entry ({type(exc).__name__}: {exc})") from None
    if missing:
        raise DatasetError(f"{json_file}: {len(missing)} image file(s) not found, first {missing[0]!r} "
                           f"(looked beside the JSON and in images/)")
    if not images:
        raise DatasetError(f"{json_file}: lists no images")
    default = path.name if path.is_dir() else json_file.parent.name
    return CocoSet(name or default, path, json_file, list(images.values()), categories, used)


def read_sparse_label(image: CocoImage, labelmap, shape=None):
    """The image's annotations rasterized (dataset.rasterize.SparseLabel) at its own size.

    `shape` (h, w) is the decoded image's size: it must be the size the JSON states, or the
    polygons would land in the wrong place."""
    from .rasterize import sparse_label

    h, w = image.height, image.width
    if shape is not None and tuple(shape) != (h, w):
        raise DatasetError(f"{image.file}: image is {shape[1]}x{shape[0]} but its COCO entry says {w}x{h}")
    return sparse_label(image.annotations, labelmap, h, w, str(image.file))
