"""report.md of a scoreboard: one table over every set, the paired differences, sizes, sheets."""
from __future__ import annotations

from ..io import atomic_write_text
from ..learn.sparse import SIZE_BINS, SIZE_TEXT, direction
from .report import _f, _table, interval_text

NAMES = {"rock_iou": "rock IoU", "miou": "mIoU", "rock_recall": "rock recall", "rock_flood": "rock flood",
         "rock_share": "rock share", "objects_found": "rocks found"}


def metric_text(name: str) -> str:
    if name in NAMES:
        return NAMES[name]
    if name.startswith("objects_found_"):
        return f"rocks found {SIZE_TEXT.get(name[len('objects_found_'):], name)}"
    if name.endswith("_as_rock"):
        return f"{name[:-len('_as_rock')].replace('_', ' ')} as rock"
    return name.replace("_", " ")


def cell(entry: dict, method: str, metric: str) -> str:
    """"0.389 [0.230, 0.502]": the set value and its bootstrap interval."""
    v = entry["values"][method].get(metric)
    boot = entry.get("bootstrap") or {}
    ci = (boot.get("methods") or {}).get(method, {}).get(metric)
    return _f(v) + (f" {interval_text(ci)}" if ci else "")


def reading(diff, interval, metric: str, a: str, b: str) -> str:
    """Plain words for a paired difference: clear (and which way is better) or within noise."""
    if diff is None or not interval:
        return "no evidence (undefined on this set)"
    if interval[0] <= 0 <= interval[1]:
        return "within noise (the interval holds 0)"
    higher = a if diff > 0 else b
    d = direction(metric)
    if d == 0:
        return f"clear: {higher} higher (a proxy, neither way is better by itself)"
    better = higher if d > 0 else (b if higher == a else a)
    return f"clear: {better} better"


def _how_to_read(metrics: dict) -> list[str]:
    lines = ["## How to read this", "",
             "- Every set value pools counts over the set's images (not a mean of per-image scores). "
             "[a, b] is a 95% bootstrap interval: the images (rock layouts on synthetic sets) resampled "
             "1,000 times; differences are paired on the same draws, so a frame hard for both cancels.",
             "- Dense masks (ALLD real frames, synthetic sets): IoU as always; rock flood = predicted / true "
             "rock pixels (1 is right)."]
    if any(s["kind"] == "sparse" for s in metrics["sets"]):
        lines += ["- Sparse labels (COCO polygons) outline some rocks and some known non-rock things and say "
                  "nothing about the rest, so there is no IoU. Rock recall = share of outlined rock pixels predicted "
                  "rock; rocks found = share of outlined rocks with at least half their pixels predicted rock; "
                  "<group> as rock = share of that group's pixels predicted rock (lower is better); rock share = "
                  "share of all pixels predicted rock. Recall alone rewards calling everything rock: read it "
                  "with the as-rock rates and the rock share."]
    lines += ["- The baseline is non-learned image rules scored the same way: the floor every model row is read "
              "against. Real-tuned models learned from real labels and sit in their own table.", ""]
    return lines


def _board_table(metrics: dict, kinds: tuple) -> list[str]:
    rows = [m["name"] for m in metrics["methods"] if m["kind"] in kinds]
    header, cols = ["method"], []
    for s in metrics["sets"]:
        for metric in s["headline"]:
            header.append(f"{s['name']}: {metric_text(metric)}")
            cols.append((s, metric))
    body = [[name, *(cell(s, name, metric) for s, metric in cols)] for name in rows]
    return _table(header, body) + [""]


def _differences(metrics: dict) -> list[str]:
    body = []
    for s in metrics["sets"]:
        diffs = (s.get("bootstrap") or {}).get("differences", {})
        for pair in s["pairs"]:
            a, b = pair.split(" - ")
            for metric in (m for m in s["headline"] if direction(m)):  # proxies (share, flood): metrics.json
                va, vb = s["values"][a].get(metric), s["values"][b].get(metric)
                d = None if va is None or vb is None else va - vb
                ci = diffs.get(pair, {}).get(metric)
                body.append([f"{a} - {b}", s["name"], metric_text(metric), _f(d) if d is None else f"{d:+.3f}",
                             interval_text(ci, signed=True), reading(d, ci, metric, a, b)])
    if not body:
        return []
    return ["## Paired differences", ""] + _table(["difference", "set", "metric", "value", "95% interval",
                                                   "reading"], body) + [""]


def _sizes(metrics: dict) -> list[str]:
    lines = []
    for s in metrics["sets"]:
        if s["kind"] != "sparse":
            continue
        counts = next(iter(s["per_image"]["counts"].values()), {})
        n = {b: sum(counts.get(f"objects_{b}", [])) for b in SIZE_BINS}
        header = ["method"] + [f"{SIZE_TEXT[b]} ({n[b]} rocks)" for b in SIZE_BINS]
        body = [[m, *(cell(s, m, f"objects_found_{b}") for b in SIZE_BINS)] for m in s["values"]]
        lines += [f"Rocks found by size on `{s['name']}` (equivalent diameter in pixels of the labelled image):",
                  ""] + _table(header, body) + [""]
    return (["## Outlined rocks found, by size", ""] + lines) if lines else []


def _header(metrics: dict) -> list[str]:
    lines = ["# Scoreboard", "", f"- measured on: {metrics['device']}; {metrics['generated_by']}, "
             f"{metrics['created']}; every number in metrics.json"]
    for m in metrics["methods"]:
        if m["kind"] == "baseline":
            lines.append(f"- `baseline`: {m.get('description', 'non-learned')}: {m.get('rules', '')}")
            continue
        size = "x".join(map(str, m["input_size"])) if m.get("input_size") else "?"
        origin = (m.get("trained_on") or {}).get("data")
        lines.append(f"- `{m['name']}` ({m['kind']}): `{m.get('path')}`, input {size}"
                     + (f", trained on `{origin}`" if origin else ""))
    for s in metrics["sets"]:
        labels = "dense masks" if s["kind"] == "dense" else f"sparse COCO labels (non-rock groups: " \
                                                              f"{', '.join(s['non_rock_groups']) or 'none'})"
        what = "synthetic" if s["synthetic"] else "real"
        unit = (s.get("bootstrap") or {}).get("unit", "image")
        lines.append(f"- set `{s['name']}`: `{s['path']}`, {s['images']} images ({what}, {labels}; "
                     f"intervals resample {unit}s)")
    return lines + [""]


def write_board_report(metrics: dict, path):
    lines = _header(metrics) + _how_to_read(metrics)
    lines += ["## Zero-shot (trained on synthetic frames only) and the baseline", ""]
    lines += _board_table(metrics, ("model", "baseline"))
    if any(m["kind"] == "real-tuned" for m in metrics["methods"]):
        lines += ["## Real-tuned (trained on real labels: not zero-shot)", "",
                  "These models saw real labelled frames in training; a set from the same camera is not an "
                  "independent test of them even when its frames were held out.", ""]
        lines += _board_table(metrics, ("real-tuned", "baseline"))
    lines += _differences(metrics) + _sizes(metrics)
    for s in metrics["sets"]:
        for fig in s.get("figures", []):
            lines += [f"![{s['name']}: image, each method, labels]({fig})", ""]
    return atomic_write_text(path, "\n".join(lines))
