"""Field helpers and the one validator behind every config section.

Every field carries its allowed range in `metadata`, so `build_section` can report every bad
value with its dotted path (``rocks.count: -3 is outside the allowed range [0, 100000]``)
instead of a traceback deep inside terrain code. Pairs ``[min, max]`` are ranges the frame plan
samples from.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import field


def num(default, lo=None, hi=None, doc=""):
    """A scalar field with inclusive bounds."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "doc": doc})


def pair(default, lo=None, hi=None, doc=""):
    """A [min, max] range field; both ends inside [lo, hi] and min <= max."""
    return field(default=tuple(default), metadata={"lo": lo, "hi": hi, "doc": doc, "pair": True})


def choice(default, options, doc=""):
    return field(default=default, metadata={"choices": tuple(options), "doc": doc})


def _check_scalar(path, value, f, ftype, problems):
    meta = f.metadata
    if "choices" in meta:
        if value not in meta["choices"]:
            problems.append(f"{path}: {value!r} is not one of {', '.join(meta['choices'])}")
        return value
    if ftype is bool:
        if not isinstance(value, bool):
            problems.append(f"{path}: expected true or false, got {value!r}")
        return value
    if ftype is int and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append(f"{path}: expected an integer, got {value!r}")
        return value
    if ftype is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected a number, got {value!r}")
            return value
        value = float(value)
        if not math.isfinite(value):  # NaN passes every `lo <= v <= hi`: reject it by name
            problems.append(f"{path}: {value!r} is not a finite number")
            return value
    if ftype is str and not isinstance(value, str):
        problems.append(f"{path}: expected a string, got {value!r}")
        return value
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and value < lo or hi is not None and value > hi:
        problems.append(f"{path}: {value!r} is outside the allowed range [{lo}, {hi}]")
    return value


def _check_pair(path, value, f, problems):
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        problems.append(f"{path}: expected [min, max], got {value!r}")
        return value
    if not all(math.isfinite(v) for v in value):
        problems.append(f"{path}: {list(value)!r} holds a value that is not a finite number")
        return tuple(value)
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    a, b = value
    if a > b:
        problems.append(f"{path}: min {a} > max {b}")
    for v in value:
        if lo is not None and v < lo or hi is not None and v > hi:
            problems.append(f"{path}: {v!r} is outside the allowed range [{lo}, {hi}]")
            break
    return tuple(value)


def build_section(cls, data: dict, prefix: str, problems: list):
    """Validate `data` into dataclass `cls`, appending every problem (dotted path first) to `problems`."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            problems.append(f"{prefix}{key}: unknown key (allowed: {', '.join(fields)})")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        path, value, ftype = prefix + name, data[name], hints[name]
        if dataclasses.is_dataclass(ftype):
            if not isinstance(value, dict):
                problems.append(f"{path}: expected a table, got {value!r}")
                continue
            kwargs[name] = build_section(ftype, value, path + ".", problems)
        elif f.metadata.get("pair"):
            kwargs[name] = _check_pair(path, value, f, problems)
        else:
            kwargs[name] = _check_scalar(path, value, f, ftype, problems)
    return cls(**kwargs)


def switch(default: bool, doc: str = ""):
    """An on/off field (checked as a TOML boolean)."""
    return field(default=default, metadata={"doc": doc})
