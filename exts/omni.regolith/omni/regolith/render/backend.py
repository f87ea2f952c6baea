"""Which Mitsuba variant runs here: cuda_ad_rgb on a GPU, llvm_ad_rgb with LLVM >= 16, else scalar_rgb."""
from __future__ import annotations

import glob
import os
import re
import warnings

from ..errors import RenderError


def find_llvm() -> str | None:
    """Path of an LLVM >= 16 shared library (Dr.Jit's LLVM backend crashes on 14/15)."""
    env = os.environ.get("DRJIT_LIBLLVM_PATH")
    if env and os.path.exists(env):
        return env
    best = None
    for path in glob.glob("/usr/lib/*/libLLVM*.so*") + glob.glob("/usr/lib/llvm-*/lib/libLLVM*.so*"):
        m = re.search(r"libLLVM[-.]?(?:so\.)?(\d+)", os.path.basename(path))
        if m and int(m.group(1)) >= 16 and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), path)
    return best[1] if best else None


def _has_cuda() -> bool:
    return any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl")) or bool(
        glob.glob("/usr/lib/*/libcuda.so*") + glob.glob("/usr/local/nvidia/lib64/libcuda.so*"))


def choose_variant(requested: str = "auto") -> str:
    """cuda_ad_rgb with a GPU, else llvm_ad_rgb with LLVM >= 16, else scalar_rgb (slow, warned)."""
    llvm = find_llvm()
    if llvm:
        os.environ.setdefault("DRJIT_LIBLLVM_PATH", llvm)  # must be set before drjit loads
    try:
        import mitsuba as mi
    except ImportError as exc:
        raise RenderError(f"mitsuba is not installed ({exc}); run ./repo.sh setup") from None
    candidates = [requested] if requested != "auto" else (
        (["cuda_ad_rgb"] if _has_cuda() else []) + (["llvm_ad_rgb"] if llvm else []) + ["scalar_rgb"])
    for variant in candidates:
        try:
            mi.set_variant(variant)
            if variant != "scalar_rgb":
                import drjit as dr
                dr.eval(mi.Float([1.0]) + 1)  # fails here, not mid-render, if the backend is broken
            if variant == "scalar_rgb" and requested == "auto":
                warnings.warn("no GPU and no LLVM >= 16: rendering with scalar_rgb is very slow "
                              "(apt-get install libllvm19)")
            return variant
        except Exception as exc:  # noqa: BLE001 - try the next backend, report the last failure
            last = exc
    raise RenderError(f"no usable Mitsuba variant among {candidates}: {last}")
