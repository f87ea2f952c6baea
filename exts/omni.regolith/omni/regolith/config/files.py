"""Config files: read TOML (the shipped default when no path is given), apply ``--set`` overrides,
validate, and write a resolved config back as TOML for every output folder.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import tomllib

from ..errors import ConfigError
from .levers import LEVER_SECTIONS
from .scene import Config, config_from_dict

DEFAULT_CONFIG = Path(__file__).resolve().parents[3] / "data" / "configs" / "default.toml"


def parse_overrides(overrides) -> dict:
    """``["rocks.count=10", "render.variant=\"scalar_rgb\""]`` -> nested dict (values are TOML)."""
    out: dict = {}
    for item in overrides or ():
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected section.key=value")
        key, raw = item.split("=", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # bare words are strings: render.variant=scalar_rgb
        node = out
        *parents, leaf = key.strip().split(".")
        if not all(parents + [leaf]):
            raise ConfigError(f"--set {item}: expected section.key=value")
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):  # `--set rocks.count=1 --set rocks.count.x=2`
                raise ConfigError(f"--set {item}: {key.strip().rsplit('.', 1)[0]} is a value, not a table")
        node[leaf] = value
    return out


def merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# Tables that share the config file but belong to one command, which validates them itself.
COMMAND_SECTIONS = ("train", "video")


def read_toml(path: str | Path | None = None) -> dict:
    """A TOML file (the shipped default when `path` is None) as a dict, or one clear ConfigError."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"--config {path}: a folder, not a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start}); TOML is UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def scene_config(data: dict) -> Config:
    """Validate a whole config file's dict, leaving the command tables to their commands."""
    return config_from_dict({k: v for k, v in data.items() if k not in COMMAND_SECTIONS})


def load_config(path: str | Path | None = None, overrides=None) -> Config:
    """Load TOML (the shipped default when `path` is None), apply ``--set`` overrides, validate.

    `[train]` and `[video]` tables may live in the same file; their commands read them.
    """
    return scene_config(merge(read_toml(path), parse_overrides(overrides)))


def config_to_dict(cfg) -> dict[str, Any]:
    """Plain dict (lists for pairs), for manifests and TOML round trips.

    A photoreal lever section left at its defaults (off) is left out, so configs, manifests and
    dataset identities written before the levers existed read back and compare byte for byte.
    """
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if f.name in LEVER_SECTIONS and v == type(v)():
            continue
        out[f.name] = config_to_dict(v) if dataclasses.is_dataclass(v) else (list(v) if isinstance(v, tuple) else v)
    return out


def config_to_toml(cfg) -> str:
    """Serialise a config; tables after scalars as TOML requires."""
    d = config_to_dict(cfg)
    lines = [f"{k} = {_toml_value(v)}" for k, v in d.items() if not isinstance(v, dict)]
    for section, table in d.items():
        if isinstance(table, dict):
            lines += ["", f"[{section}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def replace(cfg, **sections):
    """``replace(cfg, rocks={"count": 0})``: a validated copy with some fields changed."""
    return config_from_dict(merge(config_to_dict(cfg), sections))
