"""report.md and arms.png of an experiment: every arm's seeds, its difference from the reference with
an interval, and a plain-language reading of each."""
from __future__ import annotations

import io

import numpy as np

from ..evaluate.board_report import metric_text
from ..evaluate.report import _f, _table, interval_text
from ..io import atomic_write_bytes, atomic_write_text


def _seeds(x: list) -> str:
    return ", ".join(_f(v) for v in x)


def readings(metrics: dict) -> list[str]:
    """"arm v1: -0.031 [-0.060, -0.004] rock IoU on real_lunar vs v2: clear (worse); seeds ..." lines."""
    ref, lines = metrics["reference"], []
    for s in metrics["sets"]:
        for metric, m in s["metrics"].items():
            for arm, d in m["vs_reference"].items():
                if d["mean"] is None:
                    lines.append(f"- arm {arm}: {metric_text(metric)} on `{s['name']}`: {d['reading']}")
                    continue
                sd = f", seed sd {d['seed_sd']:.3f}" if d["seed_sd"] is not None else ""
                seeds = ", ".join(f"{x:+.3f}" if x is not None else "-" for x in d["per_seed"])
                lines.append(f"- arm **{arm}**: {d['mean']:+.3f} {interval_text(d['interval'], signed=True)} "
                             f"{metric_text(metric)} on `{s['name']}` vs {ref}: **{d['reading']}** "
                             f"(per seed {seeds}{sd})")
    return lines


def _arms_table(metrics: dict) -> list[str]:
    header, body = ["set", "metric", "baseline"], []
    arms = metrics["arms"]
    header += [f"{a}{' (reference)' if a == metrics['reference'] else ''}: mean (seeds)" for a in arms]
    for s in metrics["sets"]:
        for metric, m in s["metrics"].items():
            row = [s["name"], metric_text(metric), _f(m["baseline"])]
            for a in arms:
                v = m["arms"][a]
                row.append(f"{_f(v['mean'])} ({_seeds(v['seeds'])})")
            body.append(row)
    return _table(header, body)


def write_report(metrics: dict, path) -> None:
    e = metrics["config"]["experiment"]
    lines = [f"# Experiment `{e['name']}`{' (--quick sizes)' if metrics['quick'] else ''}", "",
             f"- arms: {', '.join(f'`{a}`' for a in metrics['arms'])}; reference `{metrics['reference']}`; "
             f"{e['seeds']} training seeds each",
             f"- budget: {e['train_frames']} training frames, {e['val_frames']} validation frames at "
             f"{e['resolution'][0]}x{e['resolution'][1]}; training "
             + ", ".join(f"{k} = {v}" for k, v in metrics["config"]["train"].items())
             + (f", at most {e['max_steps']} steps" if e["max_steps"] else ""),
             f"- measured on: {metrics['device']}; {metrics['generated_by']}, {metrics['created']}; "
             f"wall time of the tasks run this time {metrics['seconds']:.0f} s", "",
             "## Reading", "",
             "Each arm against the reference: the mean over seeds of the paired difference (seed k against seed "
             "k), a 95% bootstrap interval over the set's images (rock layouts on synthetic sets; the same draws "
             "for every run), and the per-seed differences. **clear**: the interval is off zero and every seed "
             "agrees; **leans**: off zero, but a seed disagrees; **within noise**: the interval holds zero.", ""]
    lines += readings(metrics) + ["", "## Every arm, every seed", ""] + _arms_table(metrics)
    lines += ["", "![each arm's seeds (dots) and mean, and its difference from the reference](arms.png)", ""]
    for arm, a in metrics["config"]["arms"].items():
        lines.append(f"- `{arm}`: set {a['set'] or '[]'}, train {a['train'] or '{}'}"
                     + (f", init {a['init']}" if a["init"] else "") + (" (reference)" if a["reference"] else ""))
    atomic_write_text(path, "\n".join(lines) + "\n")


PANELS_PER_ROW = 4


def plot(metrics: dict, path) -> None:
    """Per set and metric, two panels: each arm's seeds (dots) and mean (bar), the baseline dashed;
    below, each arm minus the reference: its interval, the mean, the seeds. Four sets a row."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = [(s, metric, m) for s in metrics["sets"] for metric, m in s["metrics"].items()]
    cols = min(PANELS_PER_ROW, len(panels))
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(3.4 * cols + 0.6, 5.6 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 * rows, cols, squeeze=False)
    for j, (s, metric, m) in enumerate(panels):
        r, c = divmod(j, cols)
        _values_panel(axes[2 * r, c], s, metric, m, metrics["arms"])
        _difference_panel(axes[2 * r + 1, c], m, metrics["arms"], metrics["reference"])
    for k in range(len(panels), rows * cols):
        r, c = divmod(k, cols)
        axes[2 * r, c].set_axis_off()
        axes[2 * r + 1, c].set_axis_off()
    for r in range(rows):
        axes[2 * r, 0].set_ylabel("value (dots: seeds, bar: mean)")
        axes[2 * r + 1, 0].set_ylabel("minus reference (95% interval)")
    fig.suptitle(f"{metrics['config']['experiment']['name']}: {metrics['device']}", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())


def _values_panel(ax, s: dict, metric: str, m: dict, arms: list) -> None:
    for i, arm in enumerate(arms):
        seeds = [v for v in m["arms"][arm]["seeds"] if v is not None]
        ax.scatter(np.full(len(seeds), i) + np.linspace(-0.08, 0.08, len(seeds)), seeds, s=18, zorder=3)
        if m["arms"][arm]["mean"] is not None:
            ax.hlines(m["arms"][arm]["mean"], i - 0.25, i + 0.25, colors="k")
    if m["baseline"] is not None:
        ax.axhline(m["baseline"], ls="--", c="grey", lw=1, label="baseline")
        ax.legend(fontsize=7, loc="best")
    ax.set_xticks(range(len(arms)), arms, fontsize=8, rotation=40, ha="right")
    ax.set_title(f"{s['name']}\n{metric_text(metric)}", fontsize=9)


def _difference_panel(ax, m: dict, arms: list, ref: str) -> None:
    others = [a for a in arms if a != ref]
    for i, arm in enumerate(others):
        d = m["vs_reference"][arm]
        if d["mean"] is None:
            continue
        lo, hi = d["interval"] or (d["mean"], d["mean"])
        # a percentile interval over few units (2 layouts) need not hold the full-data mean: draw
        # the interval itself, and the mean where it lies
        ax.vlines(i, lo, hi, colors="k")
        ax.plot(i, d["mean"], "ko")
        seeds = [x for x in d["per_seed"] if x is not None]
        ax.scatter(np.full(len(seeds), i) + 0.15, seeds, s=14, c="tab:orange", zorder=3)
    ax.axhline(0, c="grey", lw=1)
    ax.set_xticks(range(len(others)), others, fontsize=8, rotation=40, ha="right")
    ax.set_xlim(-0.6, max(0.6, len(others) - 0.4))
