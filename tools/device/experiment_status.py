"""Where a `regolith experiment` stands, from its status.json and task logs, in a few lines.

Why: a device call's printed output comes back even when its $OUT files do not. Prints tasks
done / total, each running task with its last training step (step, epoch, images/s) or last log
line, every finished training run's last epoch, and each failure with the end of its log.
Usage: python3 tools/device/experiment_status.py EXPERIMENT_DIR
"""
import json
import sys
from pathlib import Path


def last_event(log: Path, kinds=("step", "epoch", "done", "error")):
    if not log.is_file():
        return None
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") in kinds:
                return e
    return None


def describe(e) -> str:
    if e is None:
        return "starting"
    if e["event"] == "step":
        return f"step {e['step']}, epoch {e['epoch']}, loss {e['loss']:.3f}, {e['images_per_s']:.0f} img/s"
    if e["event"] == "error":
        return f"ERROR {e.get('message', '')[:200]}"
    if e["event"] == "done":
        return f"done at step {e.get('step')}: val rock IoU {e.get('rock_iou')}, mIoU {e.get('miou')}"
    return f"epoch {e.get('epoch')}: val rock IoU {e.get('rock_iou')}, mIoU {e.get('miou')}"


def main(root: Path) -> None:
    status_file = root / "status.json"
    if not status_file.is_file():
        print(f"{root}: no status.json yet")
        return
    st = json.loads(status_file.read_text())
    print(f"{root.name}: {st['done']}/{st['tasks']} tasks done, updated {st['updated']}")
    for key in st["running"]:
        log = root / "logs" / (key.replace("/", "_") + ".log")
        tail = log.read_text(errors="replace").splitlines()[-1:] if log.is_file() else []
        what = describe(last_event(log)) if key.startswith("train/") else (tail[0][:160] if tail else "")
        print(f"  running {key}: {what}")
    for key, seconds in st["seconds"].items():
        if key.startswith("train/") and key not in st["failed"]:
            e = last_event(root / "logs" / (key.replace("/", "_") + ".log"), ("done", "error"))
            print(f"  {key}: {seconds:.0f} s, {describe(e)}")
    for key, code in st["failed"].items():
        log = root / "logs" / (key.replace("/", "_") + ".log")
        tail = log.read_text(errors="replace").splitlines()[-3:] if log.is_file() else []
        print(f"  FAILED {key} ({code}): " + " | ".join(t[:200] for t in tail))
    report = root / "report.md"
    if report.is_file():
        print("\n".join(line for line in report.read_text().splitlines() if line.startswith("- arm ")))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
