"""report.md from a metrics.json content; sets without masks get no accuracy wording at all."""
from __future__ import annotations

from pathlib import Path

from .. import CLASS_NAMES
from ..io import atomic_write_text

NAMES = [CLASS_NAMES[k] for k in sorted(CLASS_NAMES)]


PER_IMAGE_ROWS = 100


def _f(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


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
