"""PNG contact sheets: image, model, baseline and ground truth side by side."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes
from .images import Sample, load_sample
from .report import _f, _pct
from .scoring import _predict

SHEET_ROWS = 12


EXTREMES = 3  # worst and best rock rows (labelled); most-rock rows = 2 * EXTREMES (unlabelled)


THUMB = 320


MIN_ROCK = 0.005  # worst/best rock figures prefer images with at least this true rock share


# -- figures -------------------------------------------------------------------------------------
def _thumb(a: np.ndarray, nearest: bool) -> np.ndarray:
    from PIL import Image

    h, w = a.shape[:2]
    s = min(1.0, THUMB / max(h, w))
    if s == 1.0:
        return a
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(a).resize(size, Image.NEAREST if nearest else Image.BILINEAR))


def grid(columns: list[str], rows: list[list[np.ndarray]], titles: list[str], path, heading: str,
         legend=()) -> Path:
    """A PNG of image panels, one row per image and one column per name; the class legend below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from ..palette import legend_items

    aspect = float(np.median([r[0].shape[0] / r[0].shape[1] for r in rows]))
    fig = Figure(figsize=(3.2 * len(columns), 3.2 * aspect * len(rows) + 1.2), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), len(columns), squeeze=False)
    for i, (panels, title) in enumerate(zip(rows, titles)):
        for j, panel in enumerate(panels):
            ax = axes[i, j]
            ax.imshow(panel, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(columns[j], fontsize=10)
        axes[i, 0].set_ylabel(title, fontsize=8)
    items = list(legend_items()) + (list(legend) or [("ignore", (255, 0, 255))])
    handles = [Patch(color=np.array(c) / 255, label=n) for n, c in items]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)
    fig.suptitle(heading, fontsize=11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return atomic_write_bytes(path, buf.getvalue())


def sheet(rows: list, titles: list[str], path, heading: str) -> Path:
    """Rows of image | model overlay | baseline overlay | ground truth (when there is one)."""
    from ..palette import colorize_mask

    has_gt = any(r[3] is not None for r in rows)
    cols = ["image", "model", "baseline"] + (["ground truth"] if has_gt else [])
    panel_rows = []
    for rgb, pred, base, gt in rows:
        rgb_t = _thumb(rgb, False)
        panels = [rgb_t] + [colorize_mask(_thumb(m, True), rgb_t) for m in (pred, base)]
        if has_gt:
            panels.append(colorize_mask(_thumb(gt, True)) if gt is not None else np.zeros_like(rgb_t))
        panel_rows.append(panels)
    return grid(cols, panel_rows, titles, path, heading)


def _title(row: dict, labelled: bool) -> str:
    m, b = row["model"], row["baseline"]
    if labelled:
        return (f"{row['id']}\nrock IoU {_f(m['iou']['rock'], 2)} (base {_f(b['iou']['rock'], 2)})\n"
                f"flood {_f(m['rock_flood'], 2)} (base {_f(b['rock_flood'], 2)})")
    return f"{row['id']}\nrock {_pct(m['rock_share'])} (base {_pct(b['rock_share'])})"


def figures_for_set(result, segmenter, baseline, out: Path) -> dict:
    """Write <set>_sheet.png (evenly spread images) and <set>_rock.png (rock extremes); file names."""
    from .figures import figure_row

    m, samples = result.metrics, {s.id: s for s in result.image_set.samples}
    rows, labelled, name = m["per_image"], m["labelled"], m["name"]
    if not rows:
        return {}
    picks = np.unique(np.linspace(0, len(rows) - 1, min(SHEET_ROWS, len(rows))).round().astype(int))
    files = {}

    def draw(key, chosen, heading):
        data = [figure_row(samples[r["id"]], segmenter, baseline, result.image_set.crop) for r in chosen]
        files[key] = f"{name}_{key}.png"
        sheet(data, [_title(r, labelled) for r in chosen], out / files[key], heading)

    what = "masks" if labelled else "no masks"
    draw("sheet", [rows[i] for i in picks], f"{name}: {len(picks)} of {len(rows)} images ({what})")
    if labelled:
        scored = [r for r in rows if r["model"]["iou"]["rock"] is not None]
        rocky = [r for r in scored if (r["true_shares"]["rock"] or 0) >= MIN_ROCK]
        scored = rocky or scored  # rock IoU on a frame with a few rock pixels is noise, not a finding
        scored.sort(key=lambda r: r["model"]["iou"]["rock"])
        if scored:
            chosen = scored[:EXTREMES] + [r for r in scored[-EXTREMES:] if r not in scored[:EXTREMES]]
            draw("rock", chosen, f"{name}: worst and best model rock IoU")
    else:
        chosen = sorted(rows, key=lambda r: -r["model"]["rock_share"])[:2 * EXTREMES]
        draw("rock", chosen, f"{name}: images with the most predicted rock")
    return files


def figure_row(sample: Sample, segmenter, baseline, crop: float = 0.0):
    """(rgb, model prediction, baseline prediction, target or None) for one sample, for figures."""
    rgb, target = load_sample(sample, crop)
    return rgb, np.asarray(_predict(segmenter, [rgb])[0]), baseline.predict(rgb), target


# -- scoreboard sheets ---------------------------------------------------------------------------
NON_ROCK_COLORS = ((150, 60, 200), (0, 170, 170), (230, 200, 40), (60, 160, 60))  # per non-rock group


BOARD_ROWS = 8


def sparse_panel(rgb: np.ndarray, label) -> np.ndarray:
    """Sparse labels over the image: rock, each non-rock group, the unlabelled rest dimmed."""
    from ..palette import COLORS

    out = rgb.astype(np.float32) * 0.45
    rock = label.rocks > 0
    out[rock] = 0.4 * rgb[rock] + 0.6 * np.array(COLORS[1], np.float32)
    for g in range(len(label.groups)):
        px = label.known == g + 1
        out[px] = 0.4 * rgb[px] + 0.6 * np.array(NON_ROCK_COLORS[g % len(NON_ROCK_COLORS)], np.float32)
    return out.astype(np.uint8)


def board_sheet(s, methods: list, path, rows: int = BOARD_ROWS) -> Path:
    """Evenly spread images of a scoreboard set: image | each method | labels."""
    from ..palette import colorize_mask

    picks = np.unique(np.linspace(0, len(s) - 1, min(rows, len(s))).round().astype(int))
    panel_rows = []
    for i in picks:
        rgb, target = s.load(int(i))
        rgb_t = _thumb(rgb, False)
        panels = [rgb_t] + [colorize_mask(_thumb(np.asarray(_predict(m.predictor, [rgb])[0]), True), rgb_t)
                            for m in methods]
        labels = colorize_mask(target) if s.kind == "dense" else sparse_panel(rgb, target)
        panel_rows.append(panels + [_thumb(labels, True)])
    legend = [("ignore", (255, 0, 255))] if s.kind == "dense" else [
        (f"not rock: {g}", NON_ROCK_COLORS[k % len(NON_ROCK_COLORS)]) for k, g in enumerate(s.nonrock)]
    what = "dense masks" if s.kind == "dense" else "sparse labels; unlabelled pixels dimmed"
    titles = [s.ids[i] if len(s.ids[i]) <= 30 else s.ids[i][:27] + "..." for i in picks]
    return grid(["image", *(m.name for m in methods), "labels"], panel_rows, titles, path,
                f"{s.name}: {len(picks)} of {len(s)} images ({what})", legend)
