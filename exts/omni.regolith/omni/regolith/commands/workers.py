"""`regolith workers`: join this machine's GPUs to a Dask cluster, for `generate --scheduler`."""
from __future__ import annotations

HELP = "start render workers on this machine for a Dask scheduler (one per GPU slot), and wait"


def add_arguments(p) -> None:
    p.add_argument("--scheduler", required=True, metavar="ADDRESS",
                   help="the scheduler, e.g. tcp://10.0.0.1:8786 (start it with `dask scheduler`)")
    add_slot_arguments(p)


def add_slot_arguments(p) -> None:
    """The options that say where render workers run (shared with `generate`)."""
    p.add_argument("--gpus", default="all", help="GPUs to use: all (default) or a list like 0,1")
    p.add_argument("--procs-per-gpu", default="auto", metavar="N|auto",
                   help="render processes per GPU (auto: up to 4, one per 4 CPU cores; 1 without a GPU)")
    p.add_argument("--kernel-cache", metavar="DIR|off",
                   help="where compiled GPU/CPU kernels persist across runs (default ~/.cache/regolith/kernels; "
                        "off: Dr.Jit's own ~/.drjit)")


def slots_from_args(args, variant: str | None = None):
    """(slots, kernel cache dir) from the slot options; a non-CUDA variant runs on CPU slots."""
    from ..scale.slots import kernel_cache_dir, make_slots, pick_gpus, procs_per_gpu, visible_gpus

    gpus = [] if variant and not variant.startswith("cuda") else pick_gpus(args.gpus, visible_gpus())
    return make_slots(gpus, procs_per_gpu(args.procs_per_gpu, gpus)), kernel_cache_dir(args.kernel_cache)


def run(args) -> int:
    from ..scale.engine import serve_workers

    slots, cache = slots_from_args(args)
    print(f"{len(slots)} worker(s) joining {args.scheduler}: {', '.join(s.name for s in slots)}", flush=True)
    return serve_workers(args.scheduler, slots, cache)
