"""`regolith doctor`: what this machine can do, and whether a job would fit in memory."""
from __future__ import annotations

HELP = "check renderer backends, GPU, and the memory preflight for a planned job"


def add_arguments(p) -> None:
    p.add_argument("--resolution", default="512x512")
    p.add_argument("--spp", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=16, help="training batch to check")
    p.add_argument("--image-size", type=int, default=512, help="training image size to check")


def run(args) -> int:
    from ..memory import GIB, estimate_generate, estimate_train, memory_status, verdict
    from ..render.backend import choose_variant, find_llvm
    from .common import parse_resolution

    w, h = parse_resolution(args.resolution)
    status = memory_status()
    print(f"system memory : {status.system_available / GIB:.1f} of {status.system_total / GIB:.1f} GiB available")
    if status.gpu_total is not None:
        print(f"GPU memory    : {status.gpu_free / GIB:.1f} of {status.gpu_total / GIB:.1f} GiB free"
              f"{' (unified with system memory)' if status.unified else ''}")
    else:
        print("GPU           : none visible to torch")
    print(f"LLVM >= 16    : {find_llvm() or 'not found (apt-get install libllvm19)'}")
    print(f"Mitsuba       : {choose_variant('auto')}")
    ok_g, text_g = verdict(estimate_generate(w, h, args.spp, 256, 50000), status)
    ok_t, text_t = verdict(estimate_train(args.batch_size, args.image_size), status)
    print(f"generate {w}x{h} spp {args.spp}: {text_g}")
    print(f"train b0 batch {args.batch_size} at {args.image_size}: {text_t}")
    return 0 if ok_g and ok_t else 1
