"""`regolith plan`: sample the per-frame parameter plan (frames.jsonl) without rendering."""
from __future__ import annotations

from .common import add_config_arguments, load_from_args, parse_resolution

HELP = "sample the per-frame randomization plan (frames.jsonl) from a config and seed"


def add_arguments(p) -> None:
    add_config_arguments(p)
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--out", required=True, help="output frames.jsonl")
    p.add_argument("--resolution", help="WIDTHxHEIGHT for the intrinsics (default: the config's)")
    p.add_argument("--seed", type=int, help="root seed (default: the config's)")


def run(args) -> int:
    from ..plan.io import write_plan
    from ..plan.sample import sample_plan
    from .generate import resolved_config

    cfg = resolved_config(load_from_args(args), parse_resolution(args.resolution), args.seed)
    path = write_plan(args.out, sample_plan(cfg, args.frames))
    print(f"wrote {path}: {args.frames} frames, seed {cfg.seed}")
    return 0
