"""Is a frame plan what its config and seed give? Resume and `stats --check` ask before trusting one.

A plan is a pure function of (config, seed, resolution): each frame's values come from its own
generator, so any record can be drawn again and compared. An edited `frames.jsonl` would
otherwise render (or describe) frames its config never asked for. Without the config, each
value is still checked against the range its config key allows.
"""
from __future__ import annotations

import dataclasses
import json
import math

from ..config.scene import Config, LightingConfig, RandomizationConfig, RenderConfig
from .record import FrameRecord
from .sample import resolve_camera, sample_frame


def _plain(d: dict) -> dict:
    return json.loads(json.dumps(d, sort_keys=True))  # tuples -> lists, as read back from the file


def record_difference(record: FrameRecord, cfg: Config, width: int, height: int) -> str | None:
    """None when `record` is what `cfg` draws for its index at width x height, else the first difference."""
    index = record.index
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return f"index {index!r} is not a frame number"
    expected = _plain(resolve_camera(cfg, sample_frame(cfg, index), width, height).to_dict())
    try:
        found = _plain(record.to_dict())
    except (TypeError, ValueError, AttributeError) as exc:
        return f"frame {index}: malformed ({exc})"
    for key in sorted(set(expected) | set(found)):
        if key == "cam_to_world":
            continue  # derived from `camera` on write
        if expected.get(key) != found.get(key):
            return (f"frame {index}: {key} is {_short(found.get(key))}, "
                    f"the config and seed give {_short(expected.get(key))}")
    return None


def plan_differences(records, cfg: Config, width: int, height: int, limit: int = 5) -> list[str]:
    """Up to `limit` records that differ from what the config and seed give (positions must be 0, 1, ...)."""
    out = []
    for position, record in enumerate(records):
        diff = (f"line {position + 1} holds frame {record.index}, expected frame {position}"
                if record.index != position else record_difference(record, cfg, width, height))
        if diff:
            out.append(diff)
            if len(out) >= limit:
                break
    return out


def _short(v) -> str:
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields(cls) -> dict:
    return {f.name: f for f in dataclasses.fields(cls)}


# record field -> the config field whose allowed range bounds it (the randomized ones share names)
_BOUNDS = {name: f for name, f in _fields(RandomizationConfig).items() if f.metadata.get("pair")}
_BOUNDS.update(exposure=_fields(RenderConfig)["exposure"], sun_irradiance=_fields(LightingConfig)["sun_irradiance"])


def range_problems(record: FrameRecord) -> list[str]:
    """Values outside what any config allows (no config needed): a sun at -500 degrees, NaN, text."""
    problems = []
    for name in (f.name for f in dataclasses.fields(FrameRecord)):
        if name not in _BOUNDS:
            continue
        value, meta = getattr(record, name), _BOUNDS[name].metadata
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"frame {record.index}: {name} is {_short(value)}, not a finite number")
        elif not meta["lo"] <= value <= meta["hi"]:
            problems.append(f"frame {record.index}: {name} {value} is outside [{meta['lo']}, {meta['hi']}]")
    return problems
