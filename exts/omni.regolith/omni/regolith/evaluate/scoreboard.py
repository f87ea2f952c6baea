"""The scoreboard: several models and the non-learned baseline on every labelled real set, one table.

Each set is scored the way its labels allow (dense masks: IoU; sparse COCO polygons: recall of
outlined rocks, hardware/tracks called rock, rock share; `counts.py`), every figure with a
bootstrap interval over the set's images, and every difference (model vs baseline, model vs
model) paired on the same draws. Models trained on real labels (their `trained_on.json` says
so) are scored too, but reported in their own rows ("real-tuned"), never among zero-shot ones.
"""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import ConfigError, DatasetError, ModelError
from .bootstrap import paired_bootstrap
from .counts import counts_for, headline, metrics_for, table, values
from .sets import ScoredSet, data_root, default_sets, open_set, set_name

SCHEMA = "regolith.scoreboard/1"


BASELINE = "baseline"


@dataclass
class Method:
    name: str
    predictor: object  # predict(rgb) (and maybe predict_batch(list)) -> HxW class ids at full size
    kind: str = "model"  # "model" (zero-shot), "real-tuned", or "baseline"
    info: dict = field(default_factory=dict)


def parse_model(spec: str) -> tuple[str, str]:
    """"NAME=PATH" -> (NAME, PATH); "fast" -> ("fast", "fast"); "runs/a/model" -> ("a", "runs/a/model")."""
    if "=" in spec:
        name, path = spec.split("=", 1)
        if not name.strip() or not path.strip():
            raise ConfigError(f"--model {spec}: expected NAME=PATH or PATH")
        return name.strip(), path.strip()
    p = Path(spec)
    return (p.parent.name if p.name == "model" and p.parent.name else p.name) or spec, spec


def load_methods(models, device="auto", input_size: int | None = None, baseline: bool = True) -> list[Method]:
    """Segmenters for `models` (names or paths, NAME=PATH to label one) and the baseline last."""
    from ..learn.inference import Segmenter
    from ..learn.model import resolve_model_dir
    from ..learn.provenance import read_trained_on
    from .baseline import Baseline

    out, seen = [], set()
    for spec in models:
        if spec == BASELINE:  # `--model baseline`: the baseline alone (it is added below)
            continue
        name, path = parse_model(spec)
        if name in seen or name == BASELINE:
            raise ConfigError(f"--model {spec}: two methods named {name!r}; label them with NAME=PATH")
        seen.add(name)
        resolved = resolve_model_dir(path)
        seg = Segmenter.load(resolved, device=device, input_size=input_size)
        origin = read_trained_on(resolved)
        kind = "real-tuned" if origin.get("real_labels") else "model"
        out.append(Method(name, seg, kind, {"path": str(resolved), "input_size": list(seg.size),
                                            "device": str(seg.device), "trained_on": origin or None}))
    if baseline:
        b = Baseline()
        out.append(Method(BASELINE, b, "baseline", {"description": b.name, "rules": b.description}))
    return out


def _predict(predictor, images: list) -> list:
    if hasattr(predictor, "predict_batch"):
        return predictor.predict_batch(images)
    return [predictor.predict(im) for im in images]


def score_set(s: ScoredSet, methods: list, progress: bool = True, batch: int = 8) -> dict:
    """{method name: [per-image counts]} for every image of `s`."""
    import numpy as np
    from tqdm import tqdm

    rows: dict = {m.name: [] for m in methods}
    bar = tqdm(total=len(s), desc=s.name, unit="img", leave=False, disable=None if progress else True)
    try:
        for start in range(0, len(s), batch):
            loaded = [s.load(i) for i in range(start, min(len(s), start + batch))]
            rgbs = [rgb for rgb, _ in loaded]
            for m in methods:
                for i, ((rgb, target), pred) in enumerate(zip(loaded, _predict(m.predictor, rgbs))):
                    pred = np.asarray(pred)
                    if pred.shape != rgb.shape[:2]:
                        raise ModelError(f"{m.name} on {s.ids[start + i]}: prediction {pred.shape} is not the "
                                         f"image's {rgb.shape[:2]}")
                    rows[m.name].append(counts_for(s.kind, pred, target))
            bar.update(len(loaded))
    finally:
        bar.close()
    return rows


def comparison_pairs(names: list, kinds: dict) -> list:
    """Each model against the baseline, then every two models (earlier first)."""
    models = [n for n in names if kinds[n] != "baseline"]
    pairs = [(m, BASELINE) for m in models if BASELINE in kinds]
    return pairs + [(a, b) for i, a in enumerate(models) for b in models[i + 1:]]


def summarize_set(s: ScoredSet, rows: dict, methods: list, rounds: int = 1000) -> dict:
    """One set's entry of metrics.json: values, intervals, paired differences, per-image counts."""
    metrics = metrics_for(s.kind, s.nonrock)
    tables = {m.name: table(rows[m.name]) for m in methods}
    kinds = {m.name: m.kind for m in methods}
    pairs = comparison_pairs([m.name for m in methods], kinds)
    boot = paired_bootstrap(tables, metrics, pairs, groups=s.groups, rounds=rounds)
    return {"name": s.name, "path": str(s.path), "kind": s.kind, "synthetic": s.synthetic,
            "images": len(s), "images_found": s.found, "non_rock_groups": list(s.nonrock),
            "label_map": s.labelmap, "metrics": list(metrics), "headline": list(headline(s.kind, s.nonrock)),
            "values": {n: values(t, metrics) for n, t in tables.items()},
            "pairs": [f"{a} - {b}" for a, b in pairs], "bootstrap": boot,
            "per_image": {"ids": list(s.ids), "groups": _plain(s.groups), "counts": tables}}


def _plain(groups):
    return None if groups is None else [g if isinstance(g, (int, str)) else int(g) for g in groups]


def resolve_sets(sets, root=None, limit=None, labelmap=None) -> list[ScoredSet]:
    """Open the named sets (default: the real sets under the data root), with unique names."""
    root = Path(root) if root else data_root()
    paths = [Path(p) for p in sets] if sets else default_sets(root)
    out, taken = [], set()
    for p in paths:
        if not p.exists():
            raise DatasetError(f"{p}: no such set")
        name = set_name(p, root)
        k = 2
        while name in taken:
            name, k = f"{set_name(p, root)}-{k}", k + 1
        taken.add(name)
        out.append(open_set(p, name, limit, labelmap))
    return out


def run_scoreboard(out, sets=None, models=("default",), *, root=None, labelmap=None, device="auto",
                   limit: int | None = None, input_size: int | None = None, baseline: bool = True,
                   figures: bool = True, progress: bool = True, methods=None, rounds: int = 1000) -> dict:
    """Score `models` (+ the baseline) on `sets`; write metrics.json, report.md and contact sheets.

    `methods` (a list of Method) replaces loading `models` (tests inject fakes)."""
    from ..hardware import device_name
    from ..io import atomic_write_text
    from .board_report import write_board_report

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out}: exists and is not a folder")
    scored = resolve_sets(sets, root, limit, labelmap)
    methods = methods if methods is not None else load_methods(models, device, input_size, baseline)
    if not methods:
        raise ConfigError("nothing to score: no --model and no baseline")
    entries = [summarize_set(s, score_set(s, methods, progress), methods, rounds) for s in scored]
    out.mkdir(parents=True, exist_ok=True)
    if figures:
        from .figures import board_sheet

        for s, entry in zip(scored, entries):
            entry["figures"] = [board_sheet(s, methods, out / f"{s.name}_sheet.png").name]
    uses_gpu = any(str(m.info.get("device", "")).startswith("cuda") for m in methods)
    metrics = {"schema": SCHEMA, "generated_by": f"regolith evaluate --scoreboard {__version__}",
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "device": device_name(cuda=uses_gpu),
               "methods": [{**m.info, "name": m.name, "kind": m.kind} for m in methods], "sets": entries}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=1, allow_nan=False) + "\n")
    write_board_report(metrics, out / "report.md")
    return metrics
