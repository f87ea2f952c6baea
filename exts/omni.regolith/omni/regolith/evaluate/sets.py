"""The labelled sets a scoreboard scores: dense masks (ALLD real frames, synthetic datasets) or sparse
COCO labels (e.g. the Chang'e-3 polygons), one interface for both.

Real sets are read in place from the data root: `$REGOLITH_DATA` if set, else `../shared/data`
beside the repository (a GPU box without that folder gets the sets copied into the repo, e.g.
`.realdata/`, and `REGOLITH_DATA=.realdata`). Nothing is written there.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .images import REPO_ROOT, find_image_set, load_sample, read_image

DEFAULT_SETS = ("real_lunar", "chandai_ce3/eval")  # dense ALLD frames, sparse Chang'e-3 polygons


def data_root() -> Path:
    """Where real sets live: $REGOLITH_DATA (relative to the working dir), else ../shared/data."""
    env = os.environ.get("REGOLITH_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def default_sets(root=None) -> list[Path]:
    """The default real sets present under the data root (an error if there is none)."""
    root = Path(root) if root else data_root()
    found = [root / s for s in DEFAULT_SETS if (root / s).is_dir()]
    if not found:
        raise DatasetError(f"no real sets under {root} (looked for {', '.join(DEFAULT_SETS)}); set REGOLITH_DATA "
                           "or --data-root to the folder holding them, or name sets with --images")
    return found


@dataclass
class ScoredSet:
    """One set: `load(i)` -> (rgb, target); target a class-id mask (dense) or a SparseLabel."""

    name: str
    path: Path
    kind: str  # "dense" or "sparse"
    synthetic: bool  # a generated dataset (rgb/ + mask/ + frames.jsonl)
    ids: list
    groups: list | None  # the bootstrap's unit per image (rock layout), None: images
    nonrock: tuple = ()  # sparse: the label map's known non-rock groups
    found: int = 0
    labelmap: dict | None = None
    _items: list = field(default_factory=list, repr=False)
    _map: object = field(default=None, repr=False)

    def load(self, i: int):
        item = self._items[i]
        if self.kind == "dense":
            return load_sample(item)
        from ..dataset.coco import read_sparse_label

        rgb = read_image(item.file)
        return rgb, read_sparse_label(item, self._map, rgb.shape[:2])

    def __len__(self) -> int:
        return len(self.ids)


def _spread(items: list, limit: int | None) -> list:
    if limit is None or limit >= len(items):
        return items
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))]


def set_name(path: Path, root: Path | None = None) -> str:
    """`chandai_ce3/eval` under the data root -> "chandai_ce3_eval"; elsewhere the folder name."""
    path = Path(path)
    if path.is_file():  # a COCO JSON given by itself: the set is its folder
        path = path.parent
    try:
        rel = path.resolve().relative_to(Path(root or data_root()).resolve())
        name = "_".join(rel.parts) if rel.parts else path.name
    except ValueError:
        name = path.name if path.name not in ("eval", "valid", "test", "images") else f"{path.parent.name}_{path.name}"
    return name or "set"


def open_set(path, name: str | None = None, limit: int | None = None, labelmap=None) -> ScoredSet:
    """A labelled set at `path`: a COCO set, or a folder/dataset dir with masks (else an error)."""
    from ..dataset.coco import is_coco, read_coco
    from ..dataset.labelmap import check_mapped, load_labelmap

    path = Path(path)
    name = name or set_name(path)
    if is_coco(path):
        lmap = labelmap if labelmap is not None and not isinstance(labelmap, (str, Path)) else load_labelmap(labelmap)
        coco = read_coco(path, name)
        check_mapped(lmap, coco.used, coco.annotations)
        items = _spread(coco.images, limit)
        ids = [im.source for im in items]
        ids = ids if len(set(ids)) == len(ids) else [im.stem for im in items]  # augmented copies share a source
        return ScoredSet(name, path, "sparse", False, ids, None, lmap.groups,
                         len(coco.images), lmap.to_dict(), items, lmap)
    image_set = find_image_set(path, None, limit, name)
    if not image_set.labelled:
        raise DatasetError(f"{path}: no masks and no COCO annotations; a scoreboard scores labelled sets only "
                           "(for a set without labels use `regolith evaluate --images`)")
    return ScoredSet(name, path, "dense", image_set.kind == "dataset", [s.id for s in image_set.samples],
                     image_set.groups, (), image_set.found, None, image_set.samples)
