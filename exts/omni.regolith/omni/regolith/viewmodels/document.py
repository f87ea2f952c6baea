"""The config being edited in the window: one nested dict shared by the Stage, Randomization
and Generate panels, validated by the core's own `config_from_dict`.

Validation is not re-implemented here: every edit re-runs the core checker and its messages
(``rocks.count: -3 is outside the allowed range [0, 100000]``) are attached to the field whose
dotted path they start with, so the panel shows exactly what the CLI would print.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

from ..config.files import config_to_dict, config_to_toml, load_config
from ..config.scene import Config, config_from_dict
from ..errors import ConfigError


def split_problems(message: str) -> dict[str, str]:
    """``"a.b: x; c.d: y"`` (a ConfigError) -> ``{"a.b": "a.b: x", "c.d": "c.d: y"}``."""
    out: dict[str, str] = {}
    for part in message.split("; "):
        path = part.split(":", 1)[0].strip()
        out[path] = f"{out[path]}; {part}" if path in out else part
    return out


class ConfigDocument:
    """A nested config dict plus its current problems; listeners hear about every change."""

    def __init__(self, cfg: Config | None = None):
        self.data: dict = config_to_dict(cfg if cfg is not None else load_config())
        self.problems: dict[str, str] = {}
        self.source: Path | None = None
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call `fn()` after each change; returns the unsubscribe function."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def get(self, path: str) -> Any:
        node = self.data
        for part in path.split("."):
            node = node[part]
        return node

    def set(self, path: str, value: Any) -> str:
        """Set one field; returns its problem message ('' when valid)."""
        *parents, leaf = path.split(".")
        node = self.data
        for part in parents:
            node = node[part]
        if leaf not in node:
            raise KeyError(f"{path}: no such config field")
        node[leaf] = list(value) if isinstance(value, tuple) else value
        self.validate()
        return self.message(path)

    def validate(self) -> dict[str, str]:
        try:
            config_from_dict(copy.deepcopy(self.data))
            self.problems = {}
        except ConfigError as exc:
            self.problems = split_problems(str(exc))
        for fn in list(self._listeners):
            fn()
        return self.problems

    def message(self, path: str) -> str:
        return self.problems.get(path, "")

    def messages_under(self, prefixes) -> list[str]:
        return [m for p, m in sorted(self.problems.items()) if p.split(".")[0] in prefixes]

    def config(self) -> Config:
        """The validated config; raises one ConfigError listing every problem."""
        return config_from_dict(copy.deepcopy(self.data))

    def load(self, path: str | Path) -> None:
        """Replace the document with a TOML file, exactly as `--config` would read it."""
        self.data = config_to_dict(load_config(path))
        self.source = Path(path)
        self.validate()

    def save(self, path: str | Path) -> Path:
        """Write the TOML the CLI reads back (refuses an invalid config)."""
        from ..io import atomic_write_text

        text = config_to_toml(self.config())
        self.source = atomic_write_text(path, text)
        return self.source


class FieldSpec:
    """One editable config field: its dotted path and the bounds the core declares for it."""

    def __init__(self, path: str, f, ftype):
        meta = f.metadata
        self.path, self.name, self.doc = path, f.name, meta.get("doc", "")
        self.lo, self.hi = meta.get("lo"), meta.get("hi")
        self.choices = meta.get("choices")
        self.is_pair = bool(meta.get("pair"))
        self.kind = ("choice" if self.choices else "pair" if self.is_pair else
                     {int: "int", float: "float", bool: "bool"}.get(ftype, "str"))
        self.integer = self.kind == "int" or (self.is_pair and all(isinstance(v, int) for v in f.default))

    def __repr__(self) -> str:
        return f"FieldSpec({self.path!r}, {self.kind})"


def section_fields(section: str) -> list[FieldSpec]:
    """The fields of one config section (``"rocks"``) in declaration order; ``"seed"`` is the
    root seed itself."""
    import dataclasses
    import typing

    root = {f.name: f for f in dataclasses.fields(Config)}
    if section == "seed":
        return [FieldSpec("seed", root["seed"], int)]
    cls = root[section].default_factory
    hints = typing.get_type_hints(cls)
    return [FieldSpec(f"{section}.{f.name}", f, hints[f.name]) for f in dataclasses.fields(cls)]
