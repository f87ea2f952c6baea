"""`regolith generate`: render a domain-randomized dataset headless (resumable, shardable)."""
from __future__ import annotations

from .common import MAX_FRAMES, add_config_arguments, check_output, int_in, load_from_args, parse_resolution
from .workers import add_slot_arguments

HELP = ("render a randomized, labelled dataset (RGB, mask, depth, frames.jsonl, manifest.json) with every GPU, "
        "several processes on each")


def add_arguments(p) -> None:
    add_config_arguments(p)
    p.add_argument("--out", required=True, help="dataset folder (rerun the same command to resume)")
    p.add_argument("--frames", type=int_in(1, MAX_FRAMES), required=True)
    p.add_argument("--resolution", help="WIDTHxHEIGHT (default: the config's render size)")
    p.add_argument("--seed", type=int, help="root seed (default: the config's)")
    p.add_argument("--shard", help="i/n: render only layouts i, i+n, ... into the same folder")
    p.add_argument("--variant", help="Mitsuba variant (default: auto: cuda_ad_rgb > llvm_ad_rgb > scalar_rgb)")
    p.add_argument("--workers", type=int_in(1, 256), default=4, help="threads encoding and writing files (per process)")
    add_slot_arguments(p)
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the shards on a running Dask cluster (e.g. tcp://host:8786) instead of local processes")
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
    from ..render.generate import parse_shard
    from ..scene.rocks import triangle_bound
    from .workers import slots_from_args

    cfg = resolved_config(load_from_args(args), parse_resolution(args.resolution), args.seed)
    shard = parse_shard(args.shard)
    check_output(args.out)
    slots, cache = slots_from_args(args, args.variant)
    r = cfg.render
    need = estimate_generate(r.width, r.height, r.spp, cfg.terrain.resolution, triangle_bound(cfg), frames=args.frames)
    print(preflight(need * (1 if args.scheduler else len(slots)), force=args.force))
    todo = max(0, args.frames - _frames_on_disk(args.out))
    print(disk_preflight(args.out, estimate_dataset_disk(todo, r.width, r.height, r.depth_format), force=args.force))
    if len(slots) == 1 and not args.scheduler:
        report = _in_this_process(cfg, args, shard, slots[0], cache)
    else:
        from ..scale.generate import generate_scaled

        report = generate_scaled(cfg, args.out, args.frames, slots, shard=shard, variant=args.variant,
                                 writers=args.workers, address=args.scheduler, kernel_cache=cache,
                                 progress=not args.no_progress)
    where = args.scheduler or f"{len(slots)} process(es): {', '.join(s.name for s in slots)}"
    print(f"rendered {report.rendered} frames ({report.skipped} already done) in {report.seconds:.1f} s, "
          f"{report.frames_per_s:.2f} frames/s on {report.variant} ({where}); dataset: {args.out}")
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


def _in_this_process(cfg, args, shard, slot, kernel_cache):
    """One worker: render here, as before the engine existed (no Dask needed)."""
    import os
    import sys

    from ..render.generate import generate

    if "drjit" not in sys.modules:  # Dr.Jit reads these once, when it loads
        os.environ.update(slot.env(kernel_cache) if slot.gpu is not None else
                          {"DRJIT_CACHE_DIR": kernel_cache} if kernel_cache else {})
    return generate(cfg, args.out, args.frames, shard=shard, variant=args.variant, workers=args.workers,
                    progress=not args.no_progress)
