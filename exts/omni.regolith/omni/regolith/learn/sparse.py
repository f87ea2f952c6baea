"""Scores that sparse labels support: outlined rocks found, known non-rock called rock.

Sparse labels outline some rocks and some things that are not rock (hardware, tracks) and say
nothing about the other pixels, so pixel IoU would punish a model for every correct rock the
labeller skipped. What they do support, per set (counts summed over images, then divided):

- rock recall: share of outlined rock pixels predicted rock;
- objects found: share of outlined rocks with >= half of their pixels predicted rock, overall and
  by size (equivalent diameter 2 sqrt(area / pi) in pixels of the labelled image, not of the
  model's input);
- <group> as rock: share of each known non-rock group's pixels predicted rock (lower is better);
- rock share: share of all pixels predicted rock (recall alone rewards calling everything rock).

Every metric is a function of summed per-image counts, so the bootstrap can resample images.
"""
from __future__ import annotations

import numpy as np

from .. import ROCK

SIZE_EDGES = (16, 32, 64)  # px of equivalent diameter; the bins below, smallest first


SIZE_BINS = ("lt16", "16to32", "32to64", "ge64")


SIZE_TEXT = {"lt16": "< 16 px", "16to32": "16-32 px", "32to64": "32-64 px", "ge64": ">= 64 px"}


FOUND_SHARE = 0.5  # an outlined rock counts as found when this share of its pixels is predicted rock


def sparse_counts(pred: np.ndarray, label) -> dict:
    """One image's counts: `pred` HxW class ids, `label` a dataset.rasterize.SparseLabel."""
    rock = np.asarray(pred) == ROCK
    ids = label.rocks.ravel()
    area = np.bincount(ids, minlength=1)[1:]
    hit = np.bincount(ids, weights=rock.ravel(), minlength=1)[1:]
    keep = area > 0  # a rock whose every pixel was claimed by another outline is gone
    area, hit = area[keep], hit[keep]
    size_bin = np.digitize(2 * np.sqrt(area / np.pi), SIZE_EDGES)
    found = hit >= FOUND_SHARE * area
    out = {"rock_px": int(area.sum()), "rock_hit": int(hit.sum()), "pred_rock": int(rock.sum()),
           "pixels": int(rock.size), "objects": int(area.size), "found": int(found.sum())}
    for b, name in enumerate(SIZE_BINS):
        out[f"objects_{name}"] = int((size_bin == b).sum())
        out[f"found_{name}"] = int((found & (size_bin == b)).sum())
    for g, group in enumerate(label.groups):
        px = label.known == g + 1
        out[f"{group}_px"] = int(px.sum())
        out[f"{group}_hit"] = int((px & rock).sum())
    return out


def ratio(num: str, den: str):
    """A metric: sum(num) / sum(den) over the images (weighted sums in the bootstrap); nan if 0/0."""
    def metric(s):
        n, d = np.asarray(s[num], np.float64), np.asarray(s[den], np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)
    return metric


def sparse_metrics(groups) -> dict:
    """name -> metric function, in reading order."""
    out = {"rock_recall": ratio("rock_hit", "rock_px"), "objects_found": ratio("found", "objects")}
    out.update({f"objects_found_{b}": ratio(f"found_{b}", f"objects_{b}") for b in SIZE_BINS})
    out.update({f"{g}_as_rock": ratio(f"{g}_hit", f"{g}_px") for g in groups})
    out["rock_share"] = ratio("pred_rock", "pixels")
    return out


LOWER_IS_BETTER_SUFFIX = "_as_rock"


def direction(metric: str) -> int:
    """+1 where higher is better, -1 where lower is, 0 where neither (rock share: a proxy)."""
    if metric.endswith(LOWER_IS_BETTER_SUFFIX):
        return -1
    return 0 if metric in ("rock_share", "rock_flood") else 1


def value(x) -> float | None:
    x = float(x)
    return round(x, 6) if np.isfinite(x) else None


def summarize_sparse(rows: list[dict], groups) -> dict:
    """Set-level values from per-image counts, plus the summed counts themselves."""
    keys = sorted({k for r in rows for k in r})
    sums = {k: sum(r.get(k, 0) for r in rows) for k in keys}
    return {"images": len(rows), **{n: value(f(sums)) for n, f in sparse_metrics(groups).items()}, "counts": sums}


def sparse_validation(model, samples, size: int, device) -> dict:
    """The sparse scores of `model` on validation samples whose `labels` point at a saved label."""
    from PIL import Image

    from .inference import Segmenter

    seg = Segmenter(model, (size, size), device=device)
    rows, groups = [], ()
    for s in samples:
        label = load_label(s.labels)
        groups = label.groups
        with Image.open(s.rgb) as im:
            rgb = np.asarray(im.convert("RGB"))
        rows.append(sparse_counts(seg.predict(rgb), label))
    model.train()
    return summarize_sparse(rows, groups)


def save_label(label, path) -> None:
    """A SparseLabel as a compressed .npz (rock numbers, non-rock groups and their names)."""
    import io

    from ..io import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, rocks=label.rocks, known=label.known, groups=np.array(label.groups, dtype=str))
    atomic_write_bytes(path, buf.getvalue())


def load_label(path):
    from ..dataset.rasterize import SparseLabel

    with np.load(path) as z:
        return SparseLabel(z["rocks"], z["known"], tuple(str(g) for g in z["groups"]))
