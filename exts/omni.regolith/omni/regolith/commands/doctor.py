"""`regolith doctor`: what this machine can do, and whether a job would fit in memory."""
from __future__ import annotations

from .common import int_in

HELP = "check renderer backends, GPU, encoder, models, disk, real images, and the memory preflight for a job"


def add_arguments(p) -> None:
    p.add_argument("--resolution", default="512x512")
    p.add_argument("--spp", type=int_in(1, 65536), default=4)
    p.add_argument("--batch-size", type=int_in(1, 4096), default=16, help="training batch to check")
    p.add_argument("--image-size", type=int_in(32, 4096), default=512, help="training image size to check")
    p.add_argument("--out", default=".", metavar="DIR", help="where you will write (disk space; default: here)")


def run(args) -> int:
    from ..memory import GIB, estimate_generate, estimate_train, memory_status, verdict
    from ..render.backend import choose_variant, find_llvm, llvm_env_problem
    from .common import parse_resolution

    w, h = parse_resolution(args.resolution)
    problems = []
    status = memory_status()
    print(f"system memory : {status.system_available / GIB:.1f} of {status.system_total / GIB:.1f} GiB available")
    if status.gpu_total is not None:
        print(f"GPU memory    : {status.gpu_free / GIB:.1f} of {status.gpu_total / GIB:.1f} GiB free"
              f"{' (unified with system memory)' if status.unified else ''}")
    else:
        print("GPU           : none visible to torch")
    llvm, env_problem = find_llvm(), llvm_env_problem()
    print(f"LLVM >= 16    : {llvm or 'not found (apt-get install libllvm19)'}")
    if env_problem:
        problems.append(f"{env_problem}: regolith uses {llvm or 'no LLVM'} instead; fix or unset the variable")
    import warnings

    with warnings.catch_warnings():  # the variable's problem is listed once, below
        warnings.simplefilter("ignore")
        print(f"Mitsuba       : {choose_variant('auto')}")
    for name, check in (("video encoder", _encoder), ("models", _models), ("disk", lambda: _disk(args.out)),
                        ("real images", _real_images)):
        line, problem = check()
        print(f"{name:<14}: {line}")
        if problem:
            problems.append(f"{name}: {problem}")
    ok_g, text_g = verdict(estimate_generate(w, h, args.spp, 256, 50000), status)
    ok_t, text_t = verdict(estimate_train(args.batch_size, args.image_size), status)
    print(f"generate {w}x{h} spp {args.spp}: {text_g}")
    print(f"train b0 batch {args.batch_size} at {args.image_size}: {text_t}")
    for problem in problems:
        print(f"problem: {problem}")
    return 0 if ok_g and ok_t and not problems else 1


def _encoder():
    try:
        import imageio_ffmpeg

        return f"ffmpeg {imageio_ffmpeg.get_ffmpeg_exe()} (H.264)", None
    except (ImportError, RuntimeError) as exc:
        try:
            import cv2  # noqa: F401 - the fallback encoder

            return "OpenCV VideoWriter only (mp4v unless its FFmpeg has H.264)", None
        except ImportError:
            return "none", f"no video encoder ({exc}); pip install imageio-ffmpeg"


def _models():
    from ..errors import RegolithError
    from ..learn.model import EMBEDDED_MODELS, check_config, check_weights, read_preprocessor

    found, bad = [], []
    for path in sorted(p for p in EMBEDDED_MODELS.iterdir() if p.is_dir()) if EMBEDDED_MODELS.is_dir() else ():
        try:
            check_config(path)
            check_weights(path)
            found.append(f"{path.name} ({read_preprocessor(path)['size']['height']} input)")
        except RegolithError as exc:
            bad.append(str(exc))
    line = ", ".join(found) or f"none in {EMBEDDED_MODELS}"
    return line, "; ".join(bad) or (None if found else "no embedded model: `regolith evaluate` needs --model")


def _disk(out):
    import shutil
    from pathlib import Path

    from .common import MIN_FREE_BYTES

    where = Path(out).resolve()
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free
    problem = f"only {free / 2**20:.0f} MiB free at {where}" if free < MIN_FREE_BYTES else None
    return f"{free / 2**30:.1f} GiB free at {where}", problem


def _real_images():
    from ..errors import RegolithError
    from ..evaluate.images import DEFAULT_IMAGES, find_image_set

    try:
        s = find_image_set(None)
    except RegolithError:
        return f"none at {DEFAULT_IMAGES} (evaluate then needs --images DIR)", None
    return f"{len(s.samples)} images{' with masks' if s.labelled else ''} in {s.images}", None
