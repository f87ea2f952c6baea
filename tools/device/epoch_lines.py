"""Every epoch of `regolith train --json-progress` logs on one line per run: epoch:rockIoU/mIoU/seconds.

Why: a device call's printed output comes back even when its $OUT files do not, so the numbers
of a run are kept in the reply itself.
Usage: python3 tools/device/epoch_lines.py LOG [LOG ...]
"""
import json
import sys
from pathlib import Path

for log in map(Path, sys.argv[1:]):
    if not log.is_file():
        continue
    parts = []
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        e = json.loads(line)
        if e.get("event") == "epoch":
            parts.append(f"{e['epoch']}:{e['rock_iou']:.4f}/{e['miou']:.4f}/{e['seconds']:.0f}s")
        elif e.get("event") == "error":
            parts.append(f"ERROR {e.get('message', '')[:200]}")
    print(f"{log.stem}: {' '.join(parts)}")
