"""Does a dataset agree with itself? Plan vs config, manifest vs disk, one depth format a frame.

`check.py` checks each file; these checks compare the files with each other: a frames.jsonl
record that is not what the dataset's config and seed give (an edited plan renders and trains on
values nobody asked for), a manifest that counts other frames than the disk holds, and a frame
with depth in two formats (which one is it?).
"""
from __future__ import annotations

from pathlib import Path

from ..config.scene import config_from_dict
from ..errors import RegolithError
from ..plan.io import digest_matches
from ..plan.verify import range_problems, record_difference
from .layout import DEPTH_EXT
from .writer import read_identity

SHOWN = 10  # differing records listed one by one; the rest are counted


def consistency_problems(root: Path, records: dict, complete: set, manifest: dict | None) -> list[str]:
    """Problems between the plan, the config, the manifest and the frames on disk (`complete`:
    indices with rgb, mask and depth)."""
    ident = None
    if (root / ".regolith-dataset.json").exists():
        try:
            ident = read_identity(root)
        except RegolithError as exc:
            return [f".regolith-dataset.json: {exc}"] + _depth_problems(root, None)
    problems = _plan_problems(root, records, ident) + _depth_problems(root, ident)
    if manifest is not None:
        problems += _manifest_problems(manifest, records, complete, ident)
    return problems


def _plan_problems(root: Path, records: dict, ident: dict | None) -> list[str]:
    if ident is None:  # no config to draw the plan again: each value against what any config allows
        found = [p for r in records.values() for p in range_problems(r)]
    elif digest_matches(root / "frames.jsonl"):
        return []  # byte for byte the plan generate wrote (and checked) with this config
    else:
        try:
            cfg = config_from_dict(ident["config"])
            width, height = ident["resolution"]
        except (RegolithError, KeyError, TypeError, ValueError) as exc:
            return [f".regolith-dataset.json: not a usable config ({exc})"]
        found = [d for i in sorted(records) if (d := record_difference(records[i], cfg, width, height))]
        found = [f"{d} (the plan was edited, or belongs to another config)" for d in found]
    more = [f"frames.jsonl: ... and {len(found) - SHOWN} more records like these"] if len(found) > SHOWN else []
    return [f"frames.jsonl: {p}" for p in found[:SHOWN]] + more


def _depth_problems(root: Path, ident: dict | None) -> list[str]:
    folder = root / "depth"
    if not folder.is_dir():
        return []
    stems = {ext: {p.stem for p in folder.glob(f"*.{ext}") if not p.name.startswith(".")}
             for ext in DEPTH_EXT.values()}
    both = sorted(stems["npy"] & stems["png"])
    problems = [f"depth/{s}: both .npy and .png; a frame has one depth file" for s in both]
    wanted = DEPTH_EXT.get(((ident or {}).get("config") or {}).get("render", {}).get("depth_format"))
    if wanted:
        other = sorted(set().union(*(v for k, v in stems.items() if k != wanted)) - stems[wanted])
        problems += [f"depth/{s}.{'png' if wanted == 'npy' else 'npy'}: this dataset stores depth as .{wanted}"
                     for s in other[:SHOWN]]
    return problems


def _manifest_problems(manifest: dict, records: dict, complete: set, ident: dict | None) -> list[str]:
    problems = []
    planned, done = manifest.get("frames_planned"), manifest.get("frames_complete")
    if records and "frames_planned" in manifest and planned != len(records):
        problems.append(f"manifest.json: frames_planned {planned}, but frames.jsonl plans {len(records)} frames")
    on_disk = len(complete & set(records)) if records else len(complete)
    if "frames_complete" in manifest and done != on_disk:
        problems.append(f"manifest.json: frames_complete {done}, but {on_disk} frames are complete on disk "
                        "(rerun the same generate command to finish and rewrite it)")
    if ident is not None:
        for key in ("resolution", "config"):
            if key in manifest and manifest[key] != ident.get(key):
                problems.append(f"manifest.json: its {key} differs from .regolith-dataset.json's")
    return problems
