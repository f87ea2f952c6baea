"""Val rock IoU per epoch of several training runs, one line each, from their `--json-progress` logs.

Why: two runs on different data are compared epoch by epoch, not only by their last checkpoint
(one run may have stopped early). Each run scores its own val set, so read the gap between lines
together with the val sets named in the labels.
Usage: python experiments/compare_curves.py LOG:LABEL [LOG:LABEL ...] --out PNG
"""
from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path



def epochs(log: Path) -> list[dict]:
    """The epoch events of a `regolith train --json-progress` log (other lines skipped)."""
    out = []
    for line in log.read_text().splitlines():
        if '"event": "epoch"' in line:
            out.append(json.loads(line))
    if not out:
        sys.exit(f"compare_curves: no epoch events in {log} (was it run with --json-progress?)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="LOG:LABEL")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from omni.regolith.io import atomic_write_bytes

    fig = Figure(figsize=(7, 3.6), dpi=100)
    ax = fig.subplots()
    for run in args.runs:
        log, _, label = run.partition(":")
        ev = epochs(Path(log))
        ax.plot([e["epoch"] for e in ev], [e["rock_iou"] for e in ev], marker=".", label=label or log)
        last = ev[-1]
        print(f"{label or log}: {len(ev)} epochs, last rock IoU {last['rock_iou']:.3f}, mIoU {last['miou']:.3f}")
    ax.set(xlabel="epoch", ylabel="val rock IoU", title="validation rock IoU per epoch")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    print(f"wrote {atomic_write_bytes(Path(args.out), buf.getvalue())}")


if __name__ == "__main__":
    main()
