"""Randomization panel: every `[min, max]` range of `RandomizationConfig` as a min/max pair with
its inline message, plus the frames-per-layout counts; Load/Save read and write the same TOML the
CLI takes with `--config`, so a UI session and a scripted run share one file.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RegolithError
from .document import ConfigDocument, section_fields

SECTION = "randomization"


class RandomizationViewModel:
    def __init__(self, doc: ConfigDocument):
        self.doc = doc
        fields = section_fields(SECTION)
        self.ranges = [f for f in fields if f.is_pair]
        self.scalars = [f for f in fields if not f.is_pair]
        self.status = ""
        self.error = ""

    @staticmethod
    def path(name: str) -> str:
        return f"{SECTION}.{name}"

    def range(self, name: str) -> tuple:
        lo, hi = self.doc.get(self.path(name))
        return lo, hi

    def set_min(self, name: str, value) -> str:
        return self.doc.set(self.path(name), [value, self.range(name)[1]])

    def set_max(self, name: str, value) -> str:
        return self.doc.set(self.path(name), [self.range(name)[0], value])

    def value(self, name: str):
        return self.doc.get(self.path(name))

    def set(self, name: str, value) -> str:
        return self.doc.set(self.path(name), value)

    def message(self, name: str) -> str:
        return self.doc.message(self.path(name))

    @property
    def errors(self) -> list[str]:
        return self.doc.messages_under((SECTION,))

    def load(self, path: str | Path) -> bool:
        """Replace the whole config (every panel) with a TOML file."""
        try:
            self.doc.load(path)
        except RegolithError as exc:
            self.error, self.status = str(exc), f"error: {exc}"
            return False
        self.error, self.status = "", f"loaded {path}"
        return True

    def save(self, path: str | Path) -> bool:
        try:
            out = self.doc.save(path)
        except (RegolithError, OSError) as exc:
            self.error, self.status = str(exc), f"error: {exc}"
            return False
        self.error, self.status = "", f"saved {out}"
        return True
