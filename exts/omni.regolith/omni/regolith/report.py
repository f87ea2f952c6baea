"""report.md and PNG contact sheets for `regolith evaluate` (numbers come from evaluate.py).

Kept apart from the scoring so the maths can be tested without matplotlib. Sets without masks
are written without any accuracy column or wording: only shares, the horizon check and pictures.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from . import CLASS_NAMES
from .io import atomic_write_bytes, atomic_write_text

NAMES = [CLASS_NAMES[k] for k in sorted(CLASS_NAMES)]
SHEET_ROWS = 12
EXTREMES = 3  # worst and best rock rows (labelled); most-rock rows = 2 * EXTREMES (unlabelled)
THUMB = 320
PER_IMAGE_ROWS = 100
MIN_ROCK = 0.005  # worst/best rock figures prefer images with at least this true rock share


def _f(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


# -- figures -------------------------------------------------------------------------------------
def _thumb(a: np.ndarray, nearest: bool) -> np.ndarray:
    from PIL import Image

    h, w = a.shape[:2]
    s = min(1.0, THUMB / max(h, w))
    if s == 1.0:
        return a
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(a).resize(size, Image.NEAREST if nearest else Image.BILINEAR))


def sheet(rows: list, titles: list[str], path, heading: str) -> Path:
    """Rows of image | model overlay | baseline overlay | ground truth (when there is one)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from .palette import colorize_mask, legend_items

    has_gt = any(r[3] is not None for r in rows)
    cols = ["image", "model", "baseline"] + (["ground truth"] if has_gt else [])
    aspect = float(np.median([r[0].shape[0] / r[0].shape[1] for r in rows]))
    fig = Figure(figsize=(3.2 * len(cols), 3.2 * aspect * len(rows) + 1.2), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), len(cols), squeeze=False)
    for i, ((rgb, pred, base, gt), title) in enumerate(zip(rows, titles)):
        rgb_t = _thumb(rgb, False)
        panels = [rgb_t] + [colorize_mask(_thumb(m, True), rgb_t) for m in (pred, base)]
        if has_gt:
            panels.append(colorize_mask(_thumb(gt, True)) if gt is not None else np.zeros_like(rgb_t))
        for j, panel in enumerate(panels):
            ax = axes[i, j]
            ax.imshow(panel, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(cols[j], fontsize=10)
        axes[i, 0].set_ylabel(title, fontsize=8)
    handles = [Patch(color=np.array(c) / 255, label=n) for n, c in legend_items()]
    handles.append(Patch(color=np.array((255, 0, 255)) / 255, label="ignore"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)
    fig.suptitle(heading, fontsize=11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return atomic_write_bytes(path, buf.getvalue())


def _title(row: dict, labelled: bool) -> str:
    m, b = row["model"], row["baseline"]
    if labelled:
        return (f"{row['id']}\nrock IoU {_f(m['iou']['rock'], 2)} (base {_f(b['iou']['rock'], 2)})\n"
                f"flood {_f(m['rock_flood'], 2)} (base {_f(b['rock_flood'], 2)})")
    return f"{row['id']}\nrock {_pct(m['rock_share'])} (base {_pct(b['rock_share'])})"


def figures_for_set(result, segmenter, baseline, out: Path) -> dict:
    """Write <set>_sheet.png (evenly spread images) and <set>_rock.png (rock extremes); file names."""
    from .evaluate import figure_row

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


# -- several sets, one table ----------------------------------------------------------------------
def compare_sets(results: list) -> dict:
    """One table over sets (model and baseline rows) and the drop from the synthetic reference.

    The reference is the first labelled set in our dataset layout (synthetic), else none. Rows of
    sets without masks carry only the mask-free proxies.
    """
    rows = []
    for res in results:
        m = res.metrics
        for method in ("model", "baseline"):
            s = m[method]
            row = {"set": m["name"], "kind": m["kind"], "labelled": m["labelled"], "method": method,
                   "images": m["images_evaluated"]}
            if m["labelled"]:
                row.update({f"{n}_iou": s["per_class_iou"][n] for n in NAMES})
                row.update({"miou": s["miou"], "pixel_accuracy": s["pixel_accuracy"], "rock_flood": s["rock_flood"],
                            "true_rock_share": m["true_shares"]["rock"]})
            row.update({"rock_share": s["rock_share"], "sky_below_ground": s["horizon"]["sky_below_ground"]})
            rows.append(row)
    ref = next((r.metrics for r in results if r.metrics["labelled"] and r.metrics["kind"] == "dataset"), None)
    gaps = []
    if ref is not None:
        for res in results:
            m = res.metrics
            if m is ref or not m["labelled"]:
                continue
            for method in ("model", "baseline"):
                a, b = ref[method], m[method]
                drop = {k: round(a[k] - b[k], 6) if a[k] is not None and b[k] is not None else None
                        for k in ("rock_iou", "miou")}
                gaps.append({"set": m["name"], "reference": ref["name"], "method": method,
                             "rock_iou_drop": drop["rock_iou"], "miou_drop": drop["miou"],
                             "rock_flood": b["rock_flood"], "reference_rock_flood": a["rock_flood"]})
    return {"reference": ref["name"] if ref else None, "rows": rows, "gaps": gaps}


# -- markdown ------------------------------------------------------------------------------------
def _table(header: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in body]


def _how_to_read(any_labelled: bool, any_unlabelled: bool) -> list[str]:
    lines = ["## How to read this", ""]
    if any_labelled:
        lines += [
            "- Scores of a set come from one confusion matrix summed over all its pixels (mask value 255 never "
            "counts), not from averaging images; per-image rows are for finding failures.",
            "- Sky is easy on the Moon (black space above the horizon; the baseline gets it almost right), and "
            "regolith dominates pixel accuracy and mean IoU. **Rock IoU and the rock flood ratio are the numbers "
            "that matter.** Rock flood = predicted rock pixels / true rock pixels: 1 is right, above 1 the model "
            "paints regolith as rock, below 1 it misses rocks.",
        ]
    lines.append("- Read each model row against its baseline row: non-learned image rules on the same images, "
                 "scored the same way. That is the floor.")
    if any_unlabelled:
        lines += [
            "- Sets without masks have no accuracy score at all. Rock share (share of pixels predicted rock) is "
            "the flood proxy; the horizon check gives the share of predicted sky lying below the first non-sky "
            "pixel of its column (sky below ground) or cut off from the top edge (sky detached): on the Moon both "
            "should be about 0. The contact sheets are the evidence.",
        ]
    return lines + [""]


def _labelled_rows(m: dict) -> list[list[str]]:
    out = []
    for method in ("model", "baseline"):
        s = m[method]
        out.append([method, *(_f(s["per_class_iou"][n]) for n in NAMES), _f(s["miou"]), _f(s["pixel_accuracy"]),
                    _f(s["rock_flood"], 2), _pct(s["rock_share"]), _pct(s["horizon"]["sky_below_ground"])])
    return out


LABELLED_HEADER = ["method", *(f"{n} IoU" for n in NAMES), "mIoU", "pixel acc", "rock flood", "rock share",
                   "sky below ground"]


def resampled(boot: dict) -> str:
    """What the bootstrap drew: "the 21 images", or "the 40 rock layouts of 1000 images"."""
    if boot.get("unit", "image") == "image":
        return f"the {boot['images']} images"
    return f"the {boot['units']} rock {boot['unit']}s of {boot['images']} images"


def _intervals(m: dict) -> list[str]:
    """The bootstrap intervals under the table: how much the set's score owes to which images."""
    boot = m.get("bootstrap")
    if not boot:
        return []
    lines = ["", f"{boot['level']:.0%} intervals over {boot['rounds']} resamples of {resampled(boot)} "
                 "(bootstrap; a small set's score depends on which images were labelled):", ""]
    for method in ("model", "baseline"):
        ci = boot[method]
        lines.append(f"- {method}: rock IoU {interval_text(ci['rock_iou'])}, mIoU {interval_text(ci['miou'])}")
    diff = boot.get("model_minus_baseline_rock_iou")
    if diff:
        lines.append(f"- model minus baseline, rock IoU (same resamples): {interval_text(diff, signed=True)}"
                     + ("; the interval holds 0: no clear winner" if diff[0] <= 0 <= diff[1] else ""))
    return lines


def interval_text(x, signed: bool = False) -> str:
    """A bootstrap interval as "[a, b]" ("-" when there is none); console and report.md share it."""
    if not x:
        return "-"
    fmt = "+.3f" if signed else ".3f"
    return f"[{format(x[0], fmt)}, {format(x[1], fmt)}]"


def _set_section(m: dict) -> list[str]:
    n, lab = m["images_evaluated"], m["labelled"]
    spread = f" (evenly spread over {m['images_found']}: --limit)" if n < m["images_found"] else ""
    crop = f", {m['crop']:.0%} cut off each side (--crop)" if m.get("crop") else ""
    lines = [f"## Set `{m['name']}`", "", f"- images: `{m['images']}` ({m['kind']}), {n} evaluated{spread}{crop}",
             f"- masks: `{m['masks']}`" if lab else "- masks: none (proxies only)"]
    if lab:
        t = m["true_shares"]
        lines.append("- true pixel shares: " + ", ".join(f"{k} {_pct(v)}" for k, v in t.items()))
        lines += [""] + _table(LABELLED_HEADER, _labelled_rows(m)) + _intervals(m)
        for method in ("model", "baseline"):
            cm = m[method]["confusion_matrix"]
            lines += ["", f"Confusion matrix, {method} (rows: true class, columns: predicted; pixels):", ""]
            lines += _table(["true \\ pred", *NAMES], [[NAMES[i], *map(str, r)] for i, r in enumerate(cm)])
    else:
        body = []
        for method in ("model", "baseline"):
            s = m[method]
            h = s["horizon"]
            body.append([method, *(_pct(s["predicted_shares"][k]) for k in NAMES), _pct(h["sky_below_ground"]),
                         _pct(h["sky_detached"]), str(h["images_with_sky_below_ground"])])
        lines += [""] + _table(["method", *(f"{k} share" for k in NAMES), "sky below ground", "sky detached",
                                "images with sky below ground"], body)
    lines.append("")
    for key, file in m.get("figures", {}).items():
        lines += [f"![{m['name']} {key}]({file})", ""]
    rows = m["per_image"]
    if lab:
        rows = sorted(rows, key=lambda r: (r["model"]["iou"]["rock"] is None, r["model"]["iou"]["rock"] or 0))
        header = ["image", "size", "rock IoU", "base rock IoU", "rock flood", "base rock flood", "mIoU", "base mIoU",
                  "true rock"]
        body = [[r["id"], f"{r['width']}x{r['height']}", _f(r["model"]["iou"]["rock"]),
                 _f(r["baseline"]["iou"]["rock"]), _f(r["model"]["rock_flood"], 2), _f(r["baseline"]["rock_flood"], 2),
                 _f(r["model"]["miou"]), _f(r["baseline"]["miou"]), _pct(r["true_shares"]["rock"])] for r in rows]
        order = "worst model rock IoU first"
    else:
        rows = sorted(rows, key=lambda r: -r["model"]["rock_share"])
        header = ["image", "size", "rock share", "base rock share", "sky share", "base sky share",
                  "sky below ground", "base sky below ground"]
        body = [[r["id"], f"{r['width']}x{r['height']}", _pct(r["model"]["rock_share"]),
                 _pct(r["baseline"]["rock_share"]), _pct(r["model"]["predicted_shares"]["sky"]),
                 _pct(r["baseline"]["predicted_shares"]["sky"]), _pct(r["model"]["sky_below_ground"]),
                 _pct(r["baseline"]["sky_below_ground"])] for r in rows]
        order = "most predicted rock first"
    more = f"; first {PER_IMAGE_ROWS} of {len(body)}, all in metrics.json" if len(body) > PER_IMAGE_ROWS else ""
    lines += [f"Per image ({order}{more}):", ""] + _table(header, body[:PER_IMAGE_ROWS]) + [""]
    return lines


def _comparison(metrics: dict) -> list[str]:
    comp = metrics["comparison"]
    lines = ["## Comparison", ""]
    labelled = [r for r in comp["rows"] if r["labelled"]]
    if labelled:
        body = [[r["set"], r["method"], str(r["images"]), *(_f(r[f"{n}_iou"]) for n in NAMES), _f(r["miou"]),
                 _f(r["rock_flood"], 2)] for r in labelled]
        lines += _table(["set", "method", "images", *(f"{n} IoU" for n in NAMES), "mIoU", "rock flood"], body) + [""]
    for g in comp["gaps"]:
        lines.append(f"- `{g['set']}` vs synthetic `{g['reference']}`, {g['method']}: rock IoU drop "
                     f"{_f(g['rock_iou_drop'])}, mIoU drop {_f(g['miou_drop'])}, rock flood {_f(g['rock_flood'], 2)} "
                     f"(reference {_f(g['reference_rock_flood'], 2)})")
    if comp["gaps"]:
        lines += ["", "The model's rock IoU drop is the sim-to-real gap; the baseline's drop is how much harder the "
                  "real set is by itself.", ""]
    body = [[r["set"], r["method"], "yes" if r["labelled"] else "no", _pct(r["rock_share"]),
             _pct(r.get("true_rock_share")), _pct(r["sky_below_ground"])] for r in comp["rows"]]
    lines += ["Mask-free proxies (every set):", ""]
    lines += _table(["set", "method", "masks", "rock share", "true rock share", "sky below ground"], body) + [""]
    return lines


def write_report(metrics: dict, path) -> Path:
    """report.md from the metrics.json content."""
    sets = metrics["sets"]
    model = metrics["model"]
    where = model.get("path") or model.get("name")
    dev = f", {model['device']}" if model.get("device") else ""
    lines = ["# Evaluation report", "",
             f"- model: `{where}`{' (default model)' if model.get('default') else ''}{dev}",
             f"- baseline: {metrics['baseline']['name']}: {metrics['baseline']['rules']}",
             f"- sets: " + ", ".join(f"`{s['name']}` ({s['images_evaluated']} images, "
                                     f"{'masks' if s['labelled'] else 'no masks'})" for s in sets),
             f"- {metrics['generated_by']}, {metrics['created']}; all numbers in metrics.json", ""]
    lines += _how_to_read(any(s["labelled"] for s in sets), any(not s["labelled"] for s in sets))
    if len(sets) > 1:
        lines += _comparison(metrics)
    for m in sets:
        lines += _set_section(m)
    return atomic_write_text(path, "\n".join(lines))
