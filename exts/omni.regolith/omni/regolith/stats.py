"""Dataset statistics: what a generated dataset really holds before anyone trains on it.

Class balance, visible rocks, sky coverage and the spread of every randomized parameter show
whether domain randomization covered what the config promised. Only masks are decoded (in a
thread pool); parameters come from `frames.jsonl`. See docs/dataset-format.md for the layout.
"""
from __future__ import annotations

import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import CLASS_NAMES, IGNORE_ID, ROCK, SKY, __version__
from .dataset import DEPTH_EXT
from .errors import DatasetError
from .io import atomic_write_bytes, atomic_write_text

CLASSES = {**CLASS_NAMES, IGNORE_ID: "ignore"}  # every id a mask may hold
KINDS = {"rgb": ("png",), "mask": ("png",), "depth": tuple(DEPTH_EXT.values())}  # frame sub-folder -> file extensions
# frames.jsonl keys histogrammed when present; hfov_deg is read from record["camera"]
PARAMETERS = ("sun_elevation_deg", "sun_azimuth_deg", "rock_albedo", "regolith_albedo", "texture_scale_m",
              "texture_contrast", "camera_height_m", "camera_pitch_deg", "hfov_deg", "rock_count", "rock_scale")
PERCENTILES = (5, 25, 50, 75, 95)
HIST_BINS = 20
_STEM = re.compile(r"^\d{5,}$")


def dataset_dir(root) -> Path:
    """The dataset folder, or a DatasetError a user can act on."""
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: no such dataset folder")
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder (expected a dataset folder with frames.jsonl, rgb/, mask/)")
    return root


def frame_path(root: Path, kind: str, index: int) -> Path:
    """The frame's file of this kind: the one that exists, else the first extension's name."""
    paths = [Path(root) / kind / f"{index:05d}.{ext}" for ext in KINDS[kind]]
    return next((p for p in paths if p.exists()), paths[0])


def read_records(root: Path, problems: list | None = None) -> dict[int, dict]:
    """frames.jsonl as {index: record}; bad lines go to `problems` (or raise without a list)."""
    path = Path(root) / "frames.jsonl"
    records: dict[int, dict] = {}
    if not path.is_file():
        return records

    def bad(msg):
        if problems is None:
            raise DatasetError(f"{path}: {msg}")
        problems.append(f"frames.jsonl: {msg}")

    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                bad(f"line {n}: invalid JSON ({exc.msg})")
                continue
            index = rec.get("index") if isinstance(rec, dict) else None
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                bad(f"line {n}: no non-negative integer 'index'")
            elif index in records:
                bad(f"line {n}: duplicate index {index}")
            else:
                records[index] = rec
    return records


def scan_files(root: Path, kind: str, strays: list | None = None) -> dict[int, Path]:
    """Frame files in one sub-folder as {index: path}; misnamed files go to `strays`."""
    folder, exts = Path(root) / kind, KINDS[kind]
    found: dict[int, Path] = {}
    if not folder.is_dir():
        return found
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith("."):
                continue  # atomic-write temporaries, editor files
            stem, dot, suffix = entry.name.rpartition(".")
            if dot and suffix in exts and _STEM.match(stem) and f"{int(stem):05d}" == stem:
                found[int(stem)] = Path(entry.path)
            elif strays is not None:
                strays.append(f"{kind}/{entry.name}: unexpected file (frames are {kind}/NNNNN.{'|'.join(exts)})")
    return found


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


def parameter_value(record: dict, name: str):
    value = (record.get("camera") or {}).get("hfov_deg") if name == "hfov_deg" else record.get(name)
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
    ids = sorted(CLASSES)
    counts = np.zeros((len(indices), len(ids)), np.int64)
    other = np.zeros(len(indices), np.int64)
    components = np.zeros(len(indices), np.int64)
    areas, sizes, ok = [], {}, np.ones(len(indices), bool)
    for i, (index, res) in enumerate(zip(indices, _map(_safe(mask_stats), [masks[j] for j in indices],
                                                        workers, "masks", progress))):
        if isinstance(res, str):
            warnings.append(f"mask/{index:05d}.png: {res}")
            ok[i] = False
            continue
        shape, c, components[i], a = res
        counts[i], other[i] = c, shape[0] * shape[1] - c.sum()
        areas.append(a)
        key = f"{shape[1]}x{shape[0]}"
        sizes[key] = sizes.get(key, 0) + 1
    indices, counts, other, components = indices[ok], counts[ok], other[ok], components[ok]
    if not len(indices):
        raise DatasetError(f"{root}: no readable mask; run `regolith stats {root} --check`")
    pixels = counts.sum(1) + other
    shares = counts / pixels[:, None]
    present = [records.get(int(i)) for i in indices]
    layout = [parameter_value(r, "rock_count") if r else None for r in present]
    all_records = [records[i] for i in sorted(masks) if i in records]
    stats = {
        "dataset": str(root.resolve()),
        "generated_by": f"regolith stats {__version__}",
        "frames": len(masks),
        "frames_in_plan": len(records),
        "parameter_frames": len(all_records),  # parameters cover every frame on disk, not just the sample
        "frames_analyzed": int(len(indices)),
        "sample": int(sample) if sample and sample < len(masks) else None,
        "resolutions": dict(sorted(sizes.items(), key=lambda kv: -kv[1])),
        "bytes": disk_bytes(root),
        "classes": {CLASSES[k]: {"id": k, "pixel_share": float(counts[:, j].sum() / pixels.sum()),
                                 "frames_present": int((counts[:, j] > 0).sum()),
                                 "per_frame_share": summarize(shares[:, j])} for j, k in enumerate(ids)},
        "pixels_outside_classes": int(other.sum()),
        "frames_with_sky": int((counts[:, ids.index(SKY)] > 0).sum()),
        "rocks": {"connectivity": 8,
                  "components_per_frame": summarize(components, HIST_BINS),
                  "frames_without_rocks": int((components == 0).sum()),
                  "component_area_px": summarize(np.concatenate(areas) if areas else []),
                  "layout_rock_count": summarize([v for v in layout if v is not None])},
        "parameters": {name: s for name in PARAMETERS
                       if (s := summarize([v for r in all_records if (v := parameter_value(r, name)) is not None],
                                          HIST_BINS))},
        "terrains": len({r.get("terrain_seed") for r in all_records} - {None}),
        "layouts": len({(r.get("terrain_seed"), r.get("layout_seed")) for r in all_records
                        if r.get("layout_seed") is not None}),
        "per_frame": {"index": indices.tolist(),
                      **{f"{CLASSES[k]}_share": np.round(shares[:, j], 6).tolist() for j, k in enumerate(ids)},
                      "rock_components": components.tolist(), "layout_rock_count": layout},
        "warnings": warnings,
    }
    return stats


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
             f"depth {_size(b['depth'])}, other {_size(b['other'])})",
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


def plot_stats(stats: dict, root, path, thumbs: int = 12) -> Path:
    """stats.png: class shares, per-frame shares, rocks, parameter histograms and a contact sheet."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from .palette import COLORS

    params = stats["parameters"]
    cols, prow = 4, -(-len(params) // 4)
    fig = Figure(figsize=(16, 3.6 + 2.4 * prow + 5.5), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[3.6, 2.4 * prow + 1e-3, 5.5])
    top = grid[0].subgridspec(1, 3, wspace=0.05)
    pgrid = grid[1].subgridspec(max(prow, 1), cols, wspace=0.08, hspace=0.1)
    names, ids = list(stats["classes"]), [c["id"] for c in stats["classes"].values()]
    colors = [np.array(COLORS[i]) / 255 for i in ids]
    ax = fig.add_subplot(top[0])
    share = [stats["classes"][n]["pixel_share"] * 100 for n in names]
    ax.bar(names, share, color=colors)
    for x, s in enumerate(share):
        ax.text(x, s, f"{s:.1f}%", ha="center", va="bottom", fontsize=8)
    ax.set(title="pixel share per class (%)", ylim=(0, max(share) * 1.15 + 1))
    ax = fig.add_subplot(top[1])
    pf = stats["per_frame"]
    data = [np.asarray(pf[f"{n}_share"]) * 100 for n in names]
    parts = ax.violinplot(data, showextrema=False)
    for body, c in zip(parts["bodies"], colors):
        body.set(facecolor=c, alpha=0.5)
    ax.boxplot(data, widths=0.15, showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set(title="per-frame class share (%)")
    ax = fig.add_subplot(top[2])
    comp = np.asarray(pf["rock_components"])
    step = max(1, -(-int(comp.max() - comp.min()) // 40))  # whole-number bins: counts are integers
    bins = np.arange(comp.min() - 0.5, comp.max() + step, step)
    ax.hist(comp, bins=bins, color=colors[names.index("rock")], alpha=0.8, label="visible components")
    layout = [v for v in pf["layout_rock_count"] if v is not None]
    if layout:
        ax.axvline(np.mean(layout), color="k", ls="--", label=f"layout rock_count mean {np.mean(layout):.0f}")
    ax.legend(fontsize=8)
    ax.set(title="rocks per frame", xlabel="connected rock components", ylabel="frames")
    for k, (name, p) in enumerate(params.items()):
        ax = fig.add_subplot(pgrid[k // cols, k % cols])
        h = p["histogram"]
        ax.stairs(h["counts"], h["edges"], fill=True, color="#5a7fa8")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    order = np.asarray(pf["index"])
    picks = list(dict.fromkeys(order[np.linspace(0, len(order) - 1, min(thumbs, len(order))).astype(int)].tolist()))
    ncol = -(-len(picks) // 2)
    sheet = grid[2].subgridspec(2, ncol, wspace=0.02, hspace=0.02)
    for k, index in enumerate(picks):
        ax = fig.add_subplot(sheet[k // ncol, k % ncol])
        ax.set_axis_off()
        try:
            ax.imshow(_overlay(root, index), interpolation="nearest")
        except Exception:  # noqa: BLE001 - a broken file is --check's business, not the figure's
            ax.text(0.5, 0.5, "unreadable", ha="center", transform=ax.transAxes)
        ax.set_title(f"{index:05d}", fontsize=8)
    fig.legend(handles=[Patch(color=np.array(COLORS[i]) / 255, label=n) for n, i in zip(names, ids)],
               loc="outside lower center", ncol=len(names), fontsize=10, frameon=False)
    fig.suptitle(f"{stats['dataset']}: {stats['frames_analyzed']} frames analyzed", fontsize=12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # constrained layout already fits; "tight" would draw twice
    return atomic_write_bytes(path, buf.getvalue())


def _overlay(root, index: int, side: int = 256) -> np.ndarray:
    """A thumbnail of one frame with its mask blended over (the mask alone without rgb)."""
    from PIL import Image

    from .palette import colorize_mask

    with Image.open(frame_path(root, "mask", index)) as im:
        scale = min(1.0, side / max(im.size))
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        mask = np.asarray(im.resize(size, Image.NEAREST))
    rgb, rgb_path = None, frame_path(root, "rgb", index)
    if rgb_path.is_file():
        with Image.open(rgb_path) as im:
            rgb = np.asarray(im.convert("RGB").resize(size, Image.BILINEAR))
    return colorize_mask(mask, rgb)
