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


def plot(metrics: dict, path) -> None:
    """Top row: each arm's seeds (dots) and mean (bar) per set and metric, the baseline dashed.
    Bottom row: each arm minus the reference, mean over seeds with its interval, seeds as dots."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = [(s, metric, m) for s in metrics["sets"] for metric, m in s["metrics"].items()]
    arms, ref = metrics["arms"], metrics["reference"]
    others = [a for a in arms if a != ref]
    fig = Figure(figsize=(max(4.0, 3.0 * len(panels)), 6.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, len(panels), squeeze=False)
    for j, (s, metric, m) in enumerate(panels):
        top, bottom = axes[0, j], axes[1, j]
        for i, arm in enumerate(arms):
            seeds = [v for v in m["arms"][arm]["seeds"] if v is not None]
            top.scatter(np.full(len(seeds), i) + np.linspace(-0.08, 0.08, len(seeds)), seeds, s=18, zorder=3)
            if m["arms"][arm]["mean"] is not None:
                top.hlines(m["arms"][arm]["mean"], i - 0.25, i + 0.25, colors="k")
        if m["baseline"] is not None:
            top.axhline(m["baseline"], ls="--", c="grey", lw=1, label="baseline")
            top.legend(fontsize=7, loc="best")
        top.set_xticks(range(len(arms)), arms, fontsize=8)
        top.set_title(f"{s['name']}\n{metric_text(metric)}", fontsize=9)
        for i, arm in enumerate(others):
            d = m["vs_reference"][arm]
            if d["mean"] is None:
                continue
            lo, hi = d["interval"] or (d["mean"], d["mean"])
            bottom.errorbar(i, d["mean"], yerr=[[d["mean"] - lo], [hi - d["mean"]]], fmt="o", c="k", capsize=4)
            seeds = [x for x in d["per_seed"] if x is not None]
            bottom.scatter(np.full(len(seeds), i) + 0.15, seeds, s=14, c="tab:orange", zorder=3)
        bottom.axhline(0, c="grey", lw=1)
        bottom.set_xticks(range(len(others)), [f"{a} - {ref}" for a in others], fontsize=8)
        bottom.set_xlim(-0.6, max(0.6, len(others) - 0.4))
    axes[0, 0].set_ylabel("value (dots: seeds, bar: mean)")
    axes[1, 0].set_ylabel("minus reference (95% interval; dots: seeds)")
    fig.suptitle(f"{metrics['config']['experiment']['name']}: {metrics['device']}", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())
