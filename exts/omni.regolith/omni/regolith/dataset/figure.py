"""stats.png: class shares, rocks per frame, parameter histograms and a contact sheet."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes
from .layout import frame_path, frame_stem


def plot_stats(stats: dict, root, path, thumbs: int = 12) -> Path:
    """stats.png: class shares, per-frame shares, rocks, parameter histograms and a contact sheet."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from ..palette import COLORS

    params = stats["parameters"]
    cols, prow = 4, -(-len(params) // 4)
    fig = Figure(figsize=(16, 3.6 + 2.4 * prow + 5.5), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[3.6, 2.4 * prow + 1e-3, 5.5])
    names, ids = list(stats["classes"]), [c["id"] for c in stats["classes"].values()]
    colors = [np.array(COLORS[i]) / 255 for i in ids]
    _class_and_rock_panels(fig, grid[0].subgridspec(1, 3, wspace=0.05), stats, names, colors)
    pgrid = grid[1].subgridspec(max(prow, 1), cols, wspace=0.08, hspace=0.1)
    for k, (name, p) in enumerate(params.items()):
        ax = fig.add_subplot(pgrid[k // cols, k % cols])
        h = p["histogram"]
        ax.stairs(h["counts"], h["edges"], fill=True, color="#5a7fa8")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    _contact_sheet(fig, grid[2], root, np.asarray(stats["per_frame"]["index"]), thumbs)
    fig.legend(handles=[Patch(color=np.array(COLORS[i]) / 255, label=n) for n, i in zip(names, ids)],
               loc="outside lower center", ncol=len(names), fontsize=10, frameon=False)
    fig.suptitle(f"{stats['dataset']}: {stats['frames_analyzed']} frames analyzed", fontsize=12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # constrained layout already fits; "tight" would draw twice
    return atomic_write_bytes(path, buf.getvalue())


def _class_and_rock_panels(fig, top, stats: dict, names: list, colors: list) -> None:
    """Pixel share per class, per-frame class shares, rock components per frame."""
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


def _contact_sheet(fig, cell, root, order: np.ndarray, thumbs: int) -> None:
    """Evenly spread frames with their masks blended over, two rows."""
    picks = list(dict.fromkeys(order[np.linspace(0, len(order) - 1, min(thumbs, len(order))).astype(int)].tolist()))
    ncol = -(-len(picks) // 2)
    sheet = cell.subgridspec(2, ncol, wspace=0.02, hspace=0.02)
    for k, index in enumerate(picks):
        ax = fig.add_subplot(sheet[k // ncol, k % ncol])
        ax.set_axis_off()
        try:
            ax.imshow(_overlay(root, index), interpolation="nearest")
        except Exception:  # noqa: BLE001 - a broken file is --check's business, not the figure's
            ax.text(0.5, 0.5, "unreadable", ha="center", transform=ax.transAxes)
        ax.set_title(frame_stem(index), fontsize=8)


def _overlay(root, index: int, side: int = 256) -> np.ndarray:
    """A thumbnail of one frame with its mask blended over (the mask alone without rgb)."""
    from PIL import Image

    from ..palette import colorize_mask

    with Image.open(frame_path(root, "mask", index)) as im:
        scale = min(1.0, side / max(im.size))
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        mask = np.asarray(im.resize(size, Image.NEAREST))
    rgb, rgb_path = None, frame_path(root, "rgb", index)
    if rgb_path.is_file():
        with Image.open(rgb_path) as im:
            rgb = np.asarray(im.convert("RGB").resize(size, Image.BILINEAR))
    return colorize_mask(mask, rgb)
