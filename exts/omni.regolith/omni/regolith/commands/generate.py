"""`regolith generate`: render a domain-randomized dataset headless (resumable, shardable)."""
from __future__ import annotations

from .common import MAX_FRAMES, add_config_arguments, check_output, int_in, load_from_args, parse_resolution

HELP = "render a randomized, labelled dataset (RGB, mask, depth, frames.jsonl, manifest.json)"


def add_arguments(p) -> None:
    add_config_arguments(p)
    p.add_argument("--out", required=True, help="dataset folder (rerun the same command to resume)")
    p.add_argument("--frames", type=int_in(1, MAX_FRAMES), required=True)
    p.add_argument("--resolution", help="WIDTHxHEIGHT (default: the config's render size)")
    p.add_argument("--seed", type=int, help="root seed (default: the config's)")
    p.add_argument("--shard", help="i/n: render only layouts i, i+n, ... into the same folder")
    p.add_argument("--variant", help="Mitsuba variant (default: auto: cuda_ad_rgb > llvm_ad_rgb > scalar_rgb)")
    p.add_argument("--workers", type=int_in(1, 256), default=4, help="threads encoding and writing files")
    p.add_argument("--force", action="store_true", help="run even if the memory preflight says it won't fit")
    p.add_argument("--no-progress", action="store_true")


def resolved_config(cfg, resolution, seed):
    from ..config.files import replace

    sections = {}
    if resolution:
        sections["render"] = {"width": resolution[0], "height": resolution[1]}
    if seed is not None:
        sections["seed"] = seed
    return replace(cfg, **sections) if sections else cfg


def run(args) -> int:
    from ..memory import disk_preflight, estimate_dataset_disk, estimate_generate, preflight
    from ..render.generate import generate, parse_shard
    from ..scene.rocks import triangle_bound

    cfg = resolved_config(load_from_args(args), parse_resolution(args.resolution), args.seed)
    shard = parse_shard(args.shard)
    check_output(args.out)
    r = cfg.render
    need = estimate_generate(r.width, r.height, r.spp, cfg.terrain.resolution, triangle_bound(cfg), frames=args.frames)
    print(preflight(need, force=args.force))
    todo = max(0, args.frames - _frames_on_disk(args.out))
    print(disk_preflight(args.out, estimate_dataset_disk(todo, r.width, r.height, r.depth_format), force=args.force))
    report = generate(cfg, args.out, args.frames, shard=shard, variant=args.variant, workers=args.workers,
                      progress=not args.no_progress)
    print(f"rendered {report.rendered} frames ({report.skipped} already done) in {report.seconds:.1f} s, "
          f"{report.frames_per_s:.2f} frames/s on {report.variant}; dataset: {args.out}")
    if report.planned > args.frames:
        print(f"note: {args.out} plans {report.planned} frames; this run covered the first {args.frames}, "
              f"and manifest.json counts all {report.planned}")
    return 0


def _frames_on_disk(out) -> int:
    import os

    try:
        with os.scandir(os.path.join(out, "rgb")) as it:
            return sum(1 for e in it if not e.name.startswith("."))
    except OSError:
        return 0
