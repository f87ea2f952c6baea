"""`regolith plan`: sample the per-frame parameter plan (frames.jsonl) without rendering."""
from __future__ import annotations

from .common import MAX_FRAMES, add_config_arguments, check_output, int_in, load_from_args, parse_resolution

HELP = "sample the per-frame randomization plan (frames.jsonl) from a config and seed"


def add_arguments(p) -> None:
    add_config_arguments(p)
    p.add_argument("--frames", type=int_in(1, MAX_FRAMES), required=True)
    p.add_argument("--out", required=True, help="output frames.jsonl")
    p.add_argument("--resolution", help="WIDTHxHEIGHT for the intrinsics (default: the config's)")
    p.add_argument("--seed", type=int, help="root seed (default: the config's)")


def run(args) -> int:
    from ..errors import MemoryPreflightError
    from ..memory import PLAN_BYTES_IN_MEMORY, PLAN_BYTES_ON_DISK, disk_preflight, verdict
    from ..plan.io import write_plan
    from ..plan.sample import sample_plan
    from .generate import resolved_config

    cfg = resolved_config(load_from_args(args), parse_resolution(args.resolution), args.seed)
    check_output(args.out, folder=False)
    fits, text = verdict(args.frames * PLAN_BYTES_IN_MEMORY)  # the plan is built in memory, then written
    if not fits:
        raise MemoryPreflightError(f"--frames {args.frames}: the plan {text}; plan fewer frames")
    disk_preflight(args.out, args.frames * PLAN_BYTES_ON_DISK)
    path = write_plan(args.out, sample_plan(cfg, args.frames))
    print(f"wrote {path}: {args.frames} frames, seed {cfg.seed}")
    return 0
