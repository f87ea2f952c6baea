"""`regolith evaluate`: a model on real (and synthetic) images, next to a non-learned baseline."""
from __future__ import annotations

from .common import MODEL_HELP, check_output, finite_float

HELP = "evaluate a model on real or synthetic images against a non-learned baseline (report.md, metrics.json, sheets)"


def add_arguments(p) -> None:
    p.add_argument("--model", action="append", default=[],
                   help=MODEL_HELP + "; repeatable with --scoreboard, NAME=PATH names a row")
    p.add_argument("--images", metavar="DIR",
                   help="images to evaluate: a folder (masks as <id>_mask.png beside them), a dataset dir "
                        "(rgb/ + mask/) or a COCO set (_annotations.coco.json: scored as sparse labels on the "
                        "scoreboard); default: the Chang'e-3 set in ../shared/data/real_lunar")
    p.add_argument("--scoreboard", action="store_true",
                   help="every model (--model, repeatable; default: default) and the baseline on every labelled "
                        "set (--images/--compare; default: the real sets under the data root) in one table, with "
                        "paired intervals (model vs baseline, model vs model)")
    p.add_argument("--data-root", metavar="DIR",
                   help="where the default real sets are (default: $REGOLITH_DATA, else ../shared/data)")
    p.add_argument("--label-map", metavar="TOML",
                   help="which COCO categories count as rock, known non-rock or nothing "
                        "(default: data/labelmaps/default.toml)")
    p.add_argument("--no-figures", action="store_true", help="scoreboard: skip the contact sheets")
    p.add_argument("--no-baseline", action="store_true",
                   help="scoreboard: models only (`--model baseline` alone scores only the baseline)")
    p.add_argument("--masks", metavar="DIR", help="where the masks of --images are, if not beside them")
    p.add_argument("--compare", metavar="DIR", action="append", default=[],
                   help="another image set (e.g. a synthetic val dataset) evaluated with the same model into one "
                        "comparison table (repeatable)")
    p.add_argument("--out", required=True, metavar="REPORT_DIR", help="where report.md, metrics.json and PNGs go")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--limit", type=int, metavar="N", help="evaluate N images per set, evenly spread (default: all)")
    p.add_argument("--input-size", type=int, metavar="N",
                   help="run the model at N x N input instead of its preprocessor's size (a multiple of 32; "
                        "finer masks at ~N^2 cost)")
    p.add_argument("--crop", type=finite_float, default=0.0, metavar="F",
                   help="cut this fraction off each side of every image and mask first, e.g. 0.05 for the film "
                        "border of scanned Apollo frames (default 0)")


def _line(m: dict) -> str:
    from ..evaluate.report import interval_text, resampled

    def f(x, fmt):
        return "-" if x is None else format(x, fmt)

    def span(x):
        return f" {interval_text(x)}" if x else ""

    head = f"{m['name']} ({m['images_evaluated']} images, {'masks' if m['labelled'] else 'no masks'}):"
    boot = m.get("bootstrap") or {}
    parts = []
    for method in ("model", "baseline"):
        s, ci = m[method], boot.get(method, {})
        if m["labelled"]:
            parts.append(f"{method} rock IoU {f(s['rock_iou'], '.3f')}{span(ci.get('rock_iou'))}, "
                         f"mIoU {f(s['miou'], '.3f')}{span(ci.get('miou'))}, rock flood {f(s['rock_flood'], '.2f')}")
        else:
            parts.append(f"{method} rock share {f(s['rock_share'], '.1%')}, "
                         f"sky below ground {f(s['horizon']['sky_below_ground'], '.1%')}")
    diff = boot.get("model_minus_baseline_rock_iou")
    if diff and m["model"]["rock_iou"] is not None and m["baseline"]["rock_iou"] is not None:
        parts.append(f"model - baseline rock IoU {m['model']['rock_iou'] - m['baseline']['rock_iou']:+.3f}"
                     f" {interval_text(diff, signed=True)}")
    if boot:
        parts.append(f"[a, b]: {boot['level']:.0%} interval over {boot['rounds']} resamples of {resampled(boot)} "
                     "(bootstrap)")
    return f"{head}\n  " + "\n  ".join(parts)


def run(args) -> int:
    from pathlib import Path

    from ..dataset.coco import is_coco
    from ..errors import ConfigError
    from ..evaluate.run import run_evaluation

    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit {args.limit}: must be at least 1")
    if args.input_size is not None and not (32 <= args.input_size <= 4096 and args.input_size % 32 == 0):
        raise ConfigError(f"--input-size {args.input_size}: must be a multiple of 32 within [32, 4096]")
    if not 0.0 <= args.crop < 0.45:
        raise ConfigError(f"--crop {args.crop}: must be within [0, 0.45)")
    check_output(args.out)
    if args.scoreboard or len(args.model) > 1 or is_coco(args.images) or any(is_coco(c) for c in args.compare):
        return _scoreboard(args)
    metrics = run_evaluation(args.out, images=args.images, masks=args.masks, compare=args.compare,
                             model=args.model[0] if args.model else None, device=args.device, limit=args.limit,
                             crop=args.crop, input_size=args.input_size)
    for m in metrics["sets"]:
        print(_line(m))
    out = Path(args.out)
    print(f"report:  {out / 'report.md'}")
    print(f"metrics: {out / 'metrics.json'}")
    for fig in metrics["files"]["figures"]:
        print(f"sheet:   {out / fig}")
    return 0


def _scoreboard(args) -> int:
    from pathlib import Path

    from ..errors import ConfigError
    from ..evaluate.board_report import cell, metric_text
    from ..evaluate.scoreboard import run_scoreboard

    if args.masks or args.crop:
        raise ConfigError("--masks and --crop apply to one image folder, not to the scoreboard")
    sets = ([args.images] if args.images else []) + list(args.compare)
    metrics = run_scoreboard(args.out, sets or None, args.model or ["default"], root=args.data_root,
                             labelmap=args.label_map, device=args.device, limit=args.limit,
                             input_size=args.input_size, figures=not args.no_figures, baseline=not args.no_baseline)
    for s in metrics["sets"]:
        print(f"{s['name']} ({s['images']} images, {'dense masks' if s['kind'] == 'dense' else 'sparse labels'}):")
        for name in s["values"]:
            print(f"  {name}: " + ", ".join(f"{metric_text(m)} {cell(s, name, m)}" for m in s["headline"]))
    out = Path(args.out)
    print(f"measured on {metrics['device']}; [a, b]: 95% bootstrap intervals (paired differences in report.md)")
    print(f"report:  {out / 'report.md'}")
    print(f"metrics: {out / 'metrics.json'}")
    return 0
