"""Every epoch of `regolith train --json-progress` logs on one line per run: epoch:rockIoU/mIoU/seconds.

Why: a device call's printed output comes back even when its $OUT files do not, so the numbers
of a run are kept in the reply itself. `--best` prints only the name of the run whose last
finished epoch has the highest validation rock IoU (how parallel_runs.sh picks a model).
Usage: python3 tools/device/epoch_lines.py [--best] LOG [LOG ...]
"""
import json
import sys
from pathlib import Path


def events(log: Path) -> list[dict]:
    """The epoch and error events of one log; none for a log not written yet."""
    if not log.is_file():
        return []
    out = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return [e for e in out if e.get("event") in ("epoch", "error")]


def line(log: Path) -> str:
    parts = [f"{e['epoch']}:{e['rock_iou']:.4f}/{e['miou']:.4f}/{e['seconds']:.0f}s" if e["event"] == "epoch"
             else f"ERROR {e.get('message', '')[:200]}" for e in events(log)]
    return f"{log.stem}: {' '.join(parts)}"


def last_rock_iou(log: Path) -> float:
    epochs = [e for e in events(log) if e["event"] == "epoch"]
    return epochs[-1]["rock_iou"] if epochs else -1.0


if __name__ == "__main__":
    best = "--best" in sys.argv[1:]
    logs = [Path(a) for a in sys.argv[1:] if a != "--best"]
    if best:
        print(max(logs, key=last_rock_iou).stem)
    else:
        for log in logs:
            if log.is_file():
                print(line(log))
