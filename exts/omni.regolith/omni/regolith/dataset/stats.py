"""Dataset statistics: what a generated dataset really holds before anyone trains on it.

Class balance, visible rocks, sky coverage and the spread of every randomized parameter show
whether domain randomization covered what the config promised. Only masks are decoded (in a
thread pool); parameters come from `frames.jsonl`.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import CLASS_NAMES, IGNORE_ID, ROCK, SKY, __version__
from ..errors import DatasetError
from ..io import atomic_write_text
from ..plan.io import read_records
from .layout import KINDS, dataset_dir, frame_stem, scan_files

CLASSES = {**CLASS_NAMES, IGNORE_ID: "ignore"}  # every id a mask may hold


# frame record fields histogrammed
PARAMETERS = ("sun_elevation_deg", "sun_azimuth_deg", "rock_albedo", "regolith_albedo", "texture_scale_m",
              "texture_contrast", "camera_height_m", "camera_pitch_deg", "hfov_deg", "rock_count", "rock_scale")


PERCENTILES = (5, 25, 50, 75, 95)


HIST_BINS = 20


def disk_bytes(root: Path) -> dict:
    """Bytes on disk per frame sub-folder, everything else as 'other'."""
    out = {k: 0 for k in (*KINDS, "other")}
    for dirpath, _, names in os.walk(root):
        rel = Path(dirpath).relative_to(root).parts
        key = rel[0] if rel and rel[0] in KINDS else "other"
        for name in names:
            try:
                out[key] += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    out["total"] = sum(out.values())
    return out


def summarize(values, bins: int | None = None) -> dict | None:
    """n, mean, std, min, percentiles, max (and a histogram with `bins`); None when empty."""
    a = np.asarray(values, dtype=float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return None
    pct = np.percentile(a, PERCENTILES)
    d = {"n": int(a.size), "mean": float(a.mean()), "std": float(a.std()), "min": float(a.min())}
    d.update({f"p{p}": float(v) for p, v in zip(PERCENTILES, pct)})
    d["max"] = float(a.max())
    if bins:
        counts, edges = np.histogram(a, bins=bins)
        d["histogram"] = {"edges": [float(e) for e in edges], "counts": counts.tolist()}
    return d


def parameter_value(record, name: str):
    value = getattr(record, name, None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def mask_stats(path: Path):
    """One mask: (h, w), pixel counts per class id (sorted CLASSES), rock component count and areas."""
    from PIL import Image
    from scipy import ndimage

    with Image.open(path) as im:
        if im.mode not in ("L", "P"):
            raise DatasetError(f"mode {im.mode}, expected 8-bit single channel")
        mask = np.asarray(im)
    counts = np.array([np.count_nonzero(mask == k) for k in sorted(CLASSES)])  # 5x faster than bincount
    rock = mask == ROCK
    labels, n = ndimage.label(rock, structure=np.ones((3, 3), bool))
    areas = np.bincount(labels[rock])[1:] if n else np.zeros(0, np.int64)
    return mask.shape, counts, n, areas


def _map(fn, items, workers, desc, progress):
    """fn over items in a thread pool (PNG decoding releases the GIL), in order, with tqdm."""
    from tqdm import tqdm

    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        yield from tqdm(pool.map(fn, items), total=len(items), desc=desc, unit="frame",
                        disable=None if progress else True, leave=False)


def _safe(fn):
    """Turn a per-frame failure into its message so one bad file does not stop the statistics."""
    def wrapped(arg):
        try:
            return fn(arg)
        except Exception as exc:  # noqa: BLE001 - any decode error is reported, not raised
            return str(exc) or type(exc).__name__
    return wrapped


@dataclass
class MaskTally:
    """Per analyzed frame: pixel counts per class id, pixels outside the classes, rock components."""

    indices: np.ndarray
    counts: np.ndarray  # (frames, classes)
    other: np.ndarray
    components: np.ndarray
    areas: list  # rock component areas per frame
    sizes: dict  # "WxH" -> frames


def tally_masks(masks: dict, indices: np.ndarray, warnings: list, workers=None, progress=True) -> MaskTally:
    """Decode the masks of `indices` (threads); an unreadable one becomes a warning, not a failure."""
    ids = sorted(CLASSES)
    counts = np.zeros((len(indices), len(ids)), np.int64)
    other = np.zeros(len(indices), np.int64)
    components = np.zeros(len(indices), np.int64)
    areas, sizes, ok = [], {}, np.ones(len(indices), bool)
    for i, (index, res) in enumerate(zip(indices, _map(_safe(mask_stats), [masks[j] for j in indices],
                                                        workers, "masks", progress))):
        if isinstance(res, str):
            warnings.append(f"mask/{frame_stem(index)}.png: {res}")
            ok[i] = False
            continue
        shape, c, components[i], a = res
        counts[i], other[i] = c, shape[0] * shape[1] - c.sum()
        areas.append(a)
        key = f"{shape[1]}x{shape[0]}"
        sizes[key] = sizes.get(key, 0) + 1
    return MaskTally(indices[ok], counts[ok], other[ok], components[ok], areas, sizes)


def compute_stats(root, sample: int | None = None, workers: int | None = None, progress: bool = True,
                  seed: int = 0) -> dict:
    """Statistics of a dataset folder as a JSON-able dict (the content of stats.json)."""
    root = dataset_dir(root)
    warnings: list[str] = []
    records = read_records(root, warnings)
    masks = scan_files(root, "mask")
    if not masks:
        raise DatasetError(f"{root}: no frames (mask/NNNNN.png) found; is this a dataset folder?")
    indices = np.array(sorted(masks))
    if sample and sample < len(indices):
        indices = np.sort(np.random.default_rng(seed).choice(indices, sample, replace=False))
    t = tally_masks(masks, indices, warnings, workers, progress)
    if not len(t.indices):
        raise DatasetError(f"{root}: no readable mask; run `regolith stats {root} --check`")
    all_records = [records[i] for i in sorted(masks) if i in records]
    return {
        "dataset": str(root.resolve()),
        "generated_by": f"regolith stats {__version__}",
        "frames": len(masks),
        "frames_in_plan": len(records),
        "parameter_frames": len(all_records),  # parameters cover every frame on disk, not just the sample
        "frames_analyzed": int(len(t.indices)),
        "sample": int(sample) if sample and sample < len(masks) else None,
        "resolutions": dict(sorted(t.sizes.items(), key=lambda kv: -kv[1])),
        "bytes": disk_bytes(root),
        **_mask_sections(t, records),
        "parameters": {name: s for name in PARAMETERS
                       if (s := summarize([v for r in all_records if (v := parameter_value(r, name)) is not None],
                                          HIST_BINS))},
        "terrains": len({r.terrain_seed for r in all_records}),
        "layouts": len({(r.terrain_seed, r.layout_seed) for r in all_records}),
        "warnings": warnings,
    }


def _mask_sections(t: MaskTally, records: dict) -> dict:
    """The class, sky, rock and per-frame sections of stats.json from the mask tally."""
    ids = sorted(CLASSES)
    pixels = t.counts.sum(1) + t.other
    shares = t.counts / pixels[:, None]
    layout = [parameter_value(r, "rock_count") if (r := records.get(int(i))) else None for i in t.indices]
    return {
        "classes": {CLASSES[k]: {"id": k, "pixel_share": float(t.counts[:, j].sum() / pixels.sum()),
                                 "frames_present": int((t.counts[:, j] > 0).sum()),
                                 "per_frame_share": summarize(shares[:, j])} for j, k in enumerate(ids)},
        "pixels_outside_classes": int(t.other.sum()),
        "frames_with_sky": int((t.counts[:, ids.index(SKY)] > 0).sum()),
        "rocks": {"connectivity": 8,
                  "components_per_frame": summarize(t.components, HIST_BINS),
                  "frames_without_rocks": int((t.components == 0).sum()),
                  "component_area_px": summarize(np.concatenate(t.areas) if t.areas else []),
                  "layout_rock_count": summarize([v for v in layout if v is not None])},
        "per_frame": {"index": t.indices.tolist(),
                      **{f"{CLASSES[k]}_share": np.round(shares[:, j], 6).tolist() for j, k in enumerate(ids)},
                      "rock_components": t.components.tolist(), "layout_rock_count": layout},
    }


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def format_table(stats: dict) -> str:
    """A readable plain-text report of `compute_stats` output."""
    n, b = stats["frames_analyzed"], stats["bytes"]
    res = ", ".join(f"{k} ({v})" if len(stats["resolutions"]) > 1 else k for k, v in stats["resolutions"].items())
    lines = [f"dataset   {stats['dataset']}",
             f"frames    {stats['frames']} on disk, {stats['frames_in_plan']} in frames.jsonl, {n} analyzed"
             + (f" (--sample {stats['sample']})" if stats["sample"] else ""),
             f"size      {res}",
             f"disk      {_size(b['total'])} (rgb {_size(b['rgb'])}, mask {_size(b['mask'])}, "
             f"depth {_size(b['depth'])}, " + (f"instance {_size(b['instance'])}, " if b.get("instance") else "")
             + f"other {_size(b['other'])})",
             f"geometry  {stats['terrains']} terrains, {stats['layouts']} rock layouts", "",
             f"{'class':<10}{'share':>8}{'frame mean':>12}{'p5':>8}{'p50':>8}{'p95':>8}{'frames':>9}"]
    for name, c in stats["classes"].items():
        s = c["per_frame_share"]
        lines.append(f"{name:<10}{c['pixel_share']:>8.2%}{s['mean']:>12.2%}{s['p5']:>8.2%}{s['p50']:>8.2%}"
                     f"{s['p95']:>8.2%}{c['frames_present']:>9}")
    lines.append(f"frames with sky: {stats['frames_with_sky']} of {n} ({stats['frames_with_sky'] / n:.1%})")
    if stats["pixels_outside_classes"]:
        lines.append(f"pixels outside {{0,1,2,255}}: {stats['pixels_outside_classes']} (run --check)")
    r = stats["rocks"]
    c = r["components_per_frame"]
    lines.append(f"rocks per frame: {c['mean']:.1f} visible components (p5 {c['p5']:.0f}, p50 {c['p50']:.0f}, "
                 f"p95 {c['p95']:.0f}); {r['frames_without_rocks']} frames without rock")
    if r["layout_rock_count"]:
        lines.append(f"layout rock_count: mean {r['layout_rock_count']['mean']:.1f}")
    if r["component_area_px"]:
        a = r["component_area_px"]
        lines.append(f"rock component area px: p5 {a['p5']:.0f}, p50 {a['p50']:.0f}, p95 {a['p95']:.0f}")
    if stats["parameters"]:
        lines += ["", f"{'parameter':<20}{'n':>7}{'min':>10}{'p5':>10}{'p50':>10}{'p95':>10}{'max':>10}{'mean':>10}"]
        for name, p in stats["parameters"].items():
            lines.append(f"{name:<20}{p['n']:>7}" + "".join(f"{p[k]:>10.4g}" for k in
                                                           ("min", "p5", "p50", "p95", "max", "mean")))
    lines += [f"warning: {w}" for w in stats["warnings"][:20]]
    if len(stats["warnings"]) > 20:
        lines.append(f"warning: ... {len(stats['warnings']) - 20} more (see stats.json)")
    return "\n".join(lines)


def write_stats(stats: dict, path) -> Path:
    return atomic_write_text(path, json.dumps(stats, indent=1) + "\n")
