"""`regolith evaluate` end to end: find the sets, score model and baseline, write the report."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

from .. import CLASS_NAMES, IGNORE_ID, __version__
from ..errors import DatasetError
from .images import find_image_set
from .scoring import compare_sets, evaluate_set

SCHEMA = "regolith.evaluate/1"


# -- several sets ---------------------------------------------------------------------------------
def _unique_name(name: str, taken: set) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "set"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}-{k}", k + 1
    taken.add(out)
    return out


def _refuse_overlap(out: Path, image_set) -> None:
    """The report must not land among the images it scores: a second run would score its own sheets."""
    a = out.resolve()
    for folder in (image_set.images, image_set.masks):
        b = Path(folder).resolve() if folder else None
        if b is not None and (a == b or b in a.parents or a in b.parents):
            how = "is" if a == b else ("is inside" if b in a.parents else "contains")
            raise DatasetError(f"--out {out} {how} the image folder {folder}; a second run would score its own "
                               "contact sheets: write the report elsewhere")


def run_evaluation(out, images=None, masks=None, compare=(), model=None, device="auto",
                   limit: int | None = None, segmenter=None, progress: bool = True, crop: float = 0.0,
                   input_size: int | None = None) -> dict:
    """Evaluate `images` (+ each `compare` set) with one model; write report.md, metrics.json, sheets.

    `segmenter` overrides `model` (tests inject fakes). Returns the metrics.json content.
    """
    import json

    from ..io import atomic_write_text
    from .baseline import Baseline
    from .figures import figures_for_set
    from .report import write_report

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out}: exists and is not a folder")
    taken: set = set()
    sets = [find_image_set(images, masks, limit, crop=crop)]
    sets[0].name = _unique_name(sets[0].name, taken)
    for extra in compare:
        s = find_image_set(extra, None, limit, crop=crop)
        s.name = _unique_name(s.name, taken)
        sets.append(s)
    for s in sets:
        _refuse_overlap(out, s)
    if segmenter is None:
        from ..learn.inference import DEFAULT_MODEL_DIR, Segmenter
        from ..learn.model import resolve_model_dir

        segmenter = Segmenter.load(model, device=device, input_size=input_size)
        model_info = {"path": str(resolve_model_dir(model).resolve() if model else DEFAULT_MODEL_DIR),
                      "default": model is None, "device": str(segmenter.device), "precision": segmenter.precision,
                      "input_size": list(segmenter.size)}
    else:
        model_info = {"path": str(model) if model else None,
                      "name": getattr(segmenter, "name", type(segmenter).__name__)}
    baseline = Baseline()
    results = [evaluate_set(s, segmenter, baseline=baseline, progress=progress) for s in sets]
    out.mkdir(parents=True, exist_ok=True)
    for res in results:
        res.metrics["figures"] = figures_for_set(res, segmenter, baseline, out)
    metrics = {"schema": SCHEMA, "generated_by": f"regolith evaluate {__version__}",
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "model": model_info, "baseline": {"name": baseline.name, "rules": baseline.description},
               "classes": {str(k): v for k, v in {**CLASS_NAMES, IGNORE_ID: "ignore"}.items()},
               "sets": [r.metrics for r in results], "comparison": compare_sets(results)}
    metrics["files"] = {"report": "report.md", "metrics": "metrics.json",
                        "figures": [f for r in results for f in r.metrics["figures"].values()]}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=1, allow_nan=False) + "\n")
    write_report(metrics, out / "report.md")
    return metrics
