"""`frames.jsonl`: the only place that reads or writes it (one JSON record per line, sorted keys)."""
from __future__ import annotations

import json
from pathlib import Path

from ..config.scene import Config
from ..errors import DatasetError
from ..io import atomic_write_text
from .record import FrameRecord
from .sample import sample_plan


def plan_lines(records) -> str:
    return "".join(json.dumps(r.to_dict(), sort_keys=True) + "\n" for r in records)


def write_plan(path: str | Path, records) -> Path:
    return atomic_write_text(path, plan_lines(records))


def read_plan(path: str | Path) -> list[FrameRecord]:
    """Every record of a plan, in file order; DatasetError names the first bad line."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"no frame plan at {path}")
    records = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                records.append(FrameRecord.from_dict(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            except DatasetError as exc:
                raise DatasetError(f"{path}:{n}: {exc}") from None
    return records


def read_records(root: Path, problems: list | None = None) -> dict[int, FrameRecord]:
    """A dataset's frames.jsonl as {index: record}; bad lines go to `problems` (or raise without a list)."""
    path = Path(root) / "frames.jsonl"
    records: dict[int, FrameRecord] = {}
    if not path.is_file():
        return records

    def bad(msg):
        if problems is None:
            raise DatasetError(f"{path}: {msg}")
        problems.append(f"frames.jsonl: {msg}")

    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                bad(f"line {n}: invalid JSON ({exc.msg})")
                continue
            index = rec.get("index") if isinstance(rec, dict) else None
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                bad(f"line {n}: no non-negative integer 'index'")
            elif index in records:
                bad(f"line {n}: duplicate index {index}")
            else:
                try:
                    records[index] = FrameRecord.from_dict(rec)
                except DatasetError as exc:
                    bad(f"line {n}: {exc}")
    return records


def load_or_write_plan(root: Path, cfg: Config, frames: int, width: int, height: int) -> list[FrameRecord]:
    """The dataset's plan; an existing plan is reused (and extended when more frames are asked)."""
    path = root / "frames.jsonl"
    existing = read_plan(path) if path.exists() else []
    if len(existing) >= frames:
        return existing[:frames]
    plan = existing + sample_plan(cfg, frames, width, height, start=len(existing))
    write_plan(path, plan)
    return plan
