"""Which categories of a COCO label set count as rock, as known non-rock (by group), or as nothing.

A user's export names its categories its own way ("boulder", "artifact", "rover path"); the map
(a small TOML file, `data/labelmaps/default.toml` when none is given) says what each means to us.
Categories used by an annotation and named nowhere are an error, never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetError

DEFAULT_LABELMAP = Path(__file__).resolve().parents[3] / "data" / "labelmaps" / "default.toml"


ROLES = ("rock", "non_rock", "ignore")


@dataclass(frozen=True)
class LabelMap:
    rock: frozenset
    non_rock: dict  # group name -> frozenset of category names, in the file's order
    ignore: frozenset
    source: str

    @property
    def groups(self) -> tuple:
        """Names of the known non-rock groups, e.g. ("hardware", "track")."""
        return tuple(self.non_rock)

    def role(self, category: str):
        """("rock", None), ("non_rock", group), ("ignore", None), or None for an unmapped name."""
        name = category.strip().lower()
        if name in self.rock:
            return "rock", None
        for group, names in self.non_rock.items():
            if name in names:
                return "non_rock", group
        return ("ignore", None) if name in self.ignore else None

    def to_dict(self) -> dict:
        return {"source": self.source, "rock": sorted(self.rock), "ignore": sorted(self.ignore),
                "non_rock": {g: sorted(n) for g, n in self.non_rock.items()}}


def _names(value, where: str) -> frozenset:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: expected a list of category names, got {value!r}")
    return frozenset(v.strip().lower() for v in value)


def labelmap_from_dict(data: dict, source: str = "<dict>") -> LabelMap:
    """Validate a label map table; one DatasetError naming the file and key."""
    unknown = set(data) - set(ROLES)
    if unknown:
        raise DatasetError(f"{source}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(ROLES)})")
    groups = data.get("non_rock", {})
    if not isinstance(groups, dict):
        raise DatasetError(f"{source}: non_rock must be a table of group = [names], got {groups!r}")
    bad = [g for g in groups if not g.replace("_", "").isalnum()]
    if bad:
        raise DatasetError(f"{source}: non_rock group {bad[0]!r}: use letters, digits and _ (it names a metric)")
    rock = _names(data.get("rock", []), f"{source}: rock")
    ignore = _names(data.get("ignore", []), f"{source}: ignore")
    non_rock = {g: _names(v, f"{source}: non_rock.{g}") for g, v in groups.items()}
    seen: dict = {}
    for role, names in [("rock", rock), ("ignore", ignore)] + [(f"non_rock.{g}", n) for g, n in non_rock.items()]:
        for name in names:
            if name in seen:
                raise DatasetError(f"{source}: category {name!r} is in both {seen[name]} and {role}")
            seen[name] = role
    if not rock:
        raise DatasetError(f"{source}: rock lists no category; nothing could be scored")
    return LabelMap(rock, non_rock, ignore, source)


def load_labelmap(path=None) -> LabelMap:
    """The map in `path` (TOML), or the shipped default."""
    import tomllib

    path = Path(path) if path else DEFAULT_LABELMAP
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"label map not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DatasetError(f"{path}: not valid TOML ({exc})") from None
    return labelmap_from_dict(data, str(path))


def check_mapped(labelmap: LabelMap, used: set, where) -> None:
    """DatasetError if a category some annotation uses is in no role of the map."""
    missing = sorted(c for c in used if labelmap.role(c) is None)
    if missing:
        raise DatasetError(f"{where}: categor{'y' if len(missing) == 1 else 'ies'} "
                           f"{', '.join(repr(m) for m in missing)} in no role of the label map {labelmap.source}; "
                           "add each to rock, ignore or a [non_rock] group of a copy, and pass it with --label-map")
