"""`frames.jsonl`: the only place that reads or writes it (one JSON record per line, sorted keys).

A dataset's plan has a `frames.jsonl.sha256` beside it (`sha256sum -c` reads it). Resuming trusts
a plan whose digest matches; any other plan (edited, or cut short by a kill between the two
writes) is drawn again from the config and seed and refused unless it is the same.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..config.scene import Config
from ..errors import DatasetError
from ..io import atomic_write_bytes, atomic_write_text
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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    records = []
    for n, line in enumerate(text.splitlines(), 1):
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

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        bad(f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return records
    for n, line in enumerate(lines, 1):
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
    """The dataset's whole plan (at least `frames` records): an existing one is verified against the
    config and seed, reused, and extended when more frames are asked."""
    path = root / "frames.jsonl"
    existing = verified_plan(path, cfg, width, height) if path.exists() else []
    if len(existing) >= frames:
        return existing
    plan = existing + sample_plan(cfg, frames, width, height, start=len(existing))
    text = plan_lines(plan).encode()
    atomic_write_bytes(path, text)
    _write_digest(path, text)
    return plan


def digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def digest_matches(path: Path) -> bool:
    """The plan is byte for byte the one written with its digest."""
    try:
        stored = digest_path(path).read_text(encoding="ascii").split()[0]
    except (OSError, ValueError, IndexError):
        return False
    return stored == hashlib.sha256(path.read_bytes()).hexdigest()


def verified_plan(path: Path, cfg: Config, width: int, height: int) -> list[FrameRecord]:
    """The plan at `path`, refused (DatasetError) if it is not what the config and seed give."""
    from .verify import plan_differences

    records = read_plan(path)
    if digest_matches(path):
        return records
    diffs = plan_differences(records, cfg, width, height)
    if diffs:
        raise DatasetError(f"{path} is not the plan this dataset's config and seed give ({'; '.join(diffs[:3])}); "
                           "it was edited or copied from another dataset: restore it, or start a new --out")
    _write_digest(path, path.read_bytes())
    return records


def _write_digest(path: Path, data: bytes) -> None:
    atomic_write_text(digest_path(path), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")
