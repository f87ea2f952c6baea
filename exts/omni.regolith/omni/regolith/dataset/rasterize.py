"""COCO segmentations as pixel masks: polygons (with holes, several per object) and RLE.

Polygons are filled at pixel centres (pixel (x, y) covers [x, x+1) x [y, y+1), as COCO counts
coordinates). Rings of one object combine by nesting: a ring inside another ring of the same
object is a hole, a ring inside a hole an island again, and rings side by side add up. That
reads both the usual "several polygons per object" and the holes CVAT and Label Studio export
as extra rings (the COCO tools would fill such a hole). RLE comes compressed (a string, as the
COCO tools write it) or as a plain list of run lengths, column by column.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .. import IGNORE_ID, REGOLITH, ROCK
from ..errors import DatasetError


# -- polygons ------------------------------------------------------------------------------------
def _ring_mask(xy: np.ndarray, h: int, w: int):
    """(mask of the ring's bounding box, (y0, x0)): pixel centres inside the closed polygon."""
    from matplotlib.path import Path as MplPath

    x0, y0 = max(0, int(np.floor(xy[:, 0].min()))), max(0, int(np.floor(xy[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(xy[:, 0].max())) + 1), min(h, int(np.ceil(xy[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), bool), (0, 0)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    centres = np.column_stack([xx.ravel() + 0.5, yy.ravel() + 0.5])
    inside = MplPath(xy).contains_points(centres).reshape(yy.shape)
    return inside, (y0, x0)


def _rings(polygons) -> list[np.ndarray]:
    rings = []
    for poly in polygons:
        a = np.asarray(poly, np.float64).ravel()
        if a.size >= 6 and a.size % 2 == 0 and np.isfinite(a).all():
            rings.append(a.reshape(-1, 2))
    return rings


def _depth(ring: np.ndarray, others: list[np.ndarray]) -> int:
    """How many other rings hold this one (most of its vertices inside): odd means a hole."""
    from matplotlib.path import Path as MplPath

    return sum(int(MplPath(o).contains_points(ring).mean() > 0.5) for o in others)


def polygons_mask(polygons, h: int, w: int) -> np.ndarray:
    """One object's polygon rings (flat [x0, y0, x1, y1, ...] lists) as an HxW bool mask."""
    rings = _rings(polygons)
    depths = [_depth(r, rings[:i] + rings[i + 1:]) if len(rings) > 1 else 0 for i, r in enumerate(rings)]
    mask = np.zeros((h, w), bool)
    for depth, ring in sorted(zip(depths, rings), key=lambda t: t[0]):
        inside, (y0, x0) = _ring_mask(ring, h, w)
        view = mask[y0:y0 + inside.shape[0], x0:x0 + inside.shape[1]]
        if depth % 2:
            view &= ~inside
        else:
            view |= inside
    return mask


# -- run-length encoding -------------------------------------------------------------------------
def decode_rle_string(text: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string (the COCO tools' LEB128-like code)."""
    counts: list[int] = []
    p = 0
    while p < len(text):
        x = k = 0
        more = True
        while more:
            if p >= len(text):
                raise ValueError("truncated RLE string")
            c = ord(text[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_mask(rle: dict, h: int, w: int) -> np.ndarray:
    """An RLE segmentation ({"size": [h, w], "counts": str or list}) as an HxW bool mask."""
    size = rle.get("size", [h, w])
    if isinstance(size, str):  # Roboflow writes "[432, 432]"
        size = json.loads(size)
    counts = rle.get("counts")
    counts = decode_rle_string(counts) if isinstance(counts, str) else [int(c) for c in counts]
    rh, rw = (int(v) for v in size)
    if (rh, rw) != (h, w):
        raise ValueError(f"RLE is {rw}x{rh}, its image {w}x{h}")
    if any(c < 0 for c in counts) or sum(counts) != h * w:
        raise ValueError(f"RLE runs add up to {sum(counts)} pixels, not {h * w}")
    flat = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    return flat.reshape(w, h).T  # column by column


def segmentation_mask(segmentation, h: int, w: int) -> np.ndarray:
    """Polygons (a list of rings) or RLE (a dict) as an HxW bool mask."""
    if isinstance(segmentation, dict):
        return rle_mask(segmentation, h, w)
    if isinstance(segmentation, list):
        if segmentation and not isinstance(segmentation[0], (list, tuple)):
            segmentation = [segmentation]  # one ring written flat
        return polygons_mask(segmentation, h, w)
    raise ValueError(f"segmentation is neither polygons nor RLE: {type(segmentation).__name__}")


# -- sparse labels ------------------------------------------------------------------------------
@dataclass
class SparseLabel:
    """What sparse labels say about one image: outlined rocks (one number each) and outlined
    known non-rock things (by group). Pixels in both a rock and a non-rock outline count as
    neither (the evidence contradicts itself); every other pixel is unlabelled."""

    rocks: np.ndarray  # int32 HxW: 1..n for the n outlined rocks, 0 elsewhere
    known: np.ndarray  # uint8 HxW: 1 + index of the non-rock group, 0 elsewhere
    groups: tuple  # non-rock group names, index order

    @property
    def shape(self):
        return self.rocks.shape

    def target(self) -> np.ndarray:
        """Training target: rock 1, known non-rock 0 ("not rock"), every other pixel 255 (ignored)."""
        out = np.full(self.rocks.shape, IGNORE_ID, np.uint8)
        out[self.known > 0] = REGOLITH
        out[self.rocks > 0] = ROCK
        return out


def sparse_label(annotations, labelmap, h: int, w: int, where: str = "") -> SparseLabel:
    """Rasterize one image's annotations [(category, segmentation)] with the label map's roles."""
    rocks = np.zeros((h, w), np.int32)
    known = np.zeros((h, w), np.uint8)
    groups = labelmap.groups
    n = 0
    for category, segmentation in annotations:
        role, group = labelmap.role(category) or ("ignore", None)
        if role == "ignore":
            continue
        try:
            mask = segmentation_mask(segmentation, h, w)
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{where}: unreadable {category!r} segmentation ({exc})") from None
        if role == "rock":
            n += 1
            rocks[mask] = n
        else:
            known[mask] = groups.index(group) + 1
    clash = (rocks > 0) & (known > 0)
    rocks[clash] = 0
    known[clash] = 0
    return SparseLabel(rocks, known, groups)
