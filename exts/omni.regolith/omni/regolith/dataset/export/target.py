"""An export folder: created, or accepted only when it already holds an export of the same format.

A marker file names the format, so a rerun resumes into its own folder and never writes into a
folder the user meant for something else.
"""
from __future__ import annotations

import json
from pathlib import Path

from ... import __version__
from ...errors import DatasetError
from ...io import atomic_write_text

MARKER = ".regolith-export.json"


def open_target(out, fmt: str) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out}: is a file; the {fmt} export is a folder")
    marker = out / MARKER
    if marker.is_file():
        found = json.loads(marker.read_text()).get("format")
        if found != fmt:
            raise DatasetError(f"{out} holds a {found} export; use another --out folder for {fmt}")
    elif out.exists() and any(out.iterdir()):
        raise DatasetError(f"{out} is not empty and holds no regolith export; use a new --out folder")
    else:
        atomic_write_text(marker, json.dumps({"format": fmt, "regolith": __version__}) + "\n")
    return out


def remove_temps(folder: Path, name: str = "*") -> None:
    """Temp files a killed export left in `folder` (one export writes a folder at a time)."""
    for tmp in Path(folder).glob(f".{name}.*tmp"):
        tmp.unlink(missing_ok=True)
