"""Which Mitsuba variant runs here: cuda_ad_rgb on a GPU, llvm_ad_rgb with LLVM >= 16, else scalar_rgb."""
from __future__ import annotations

import glob
import os
import re
import warnings

from ..errors import RenderError


def llvm_version(path: str) -> int | None:
    """LLVM's major version from a library's file name (libLLVM-19.so, libLLVM.so.19.1), if it says."""
    m = re.search(r"libLLVM[-.]?(?:so\.)?(\d+)", os.path.basename(path))
    return int(m.group(1)) if m else None


def llvm_env_problem() -> str | None:
    """What is wrong with DRJIT_LIBLLVM_PATH, if it is set and unusable (Dr.Jit reads it as it is)."""
    env = os.environ.get("DRJIT_LIBLLVM_PATH")
    if not env:
        return None
    if not os.path.isfile(env):
        return f"DRJIT_LIBLLVM_PATH={env}: no such file"
    version = llvm_version(env)
    if version is not None and version < 16:
        return f"DRJIT_LIBLLVM_PATH={env}: LLVM {version}; Dr.Jit needs LLVM 16 or newer"
    return None


def find_llvm() -> str | None:
    """Path of an LLVM >= 16 shared library (Dr.Jit's LLVM backend crashes on 14/15)."""
    env = os.environ.get("DRJIT_LIBLLVM_PATH")
    if env and not llvm_env_problem():
        return env
    best = None
    for path in glob.glob("/usr/lib/*/libLLVM*.so*") + glob.glob("/usr/lib/llvm-*/lib/libLLVM*.so*"):
        version = llvm_version(path)
        if version and version >= 16 and (best is None or version > best[0]):
            best = (version, path)
    return best[1] if best else None


def _has_cuda() -> bool:
    return any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl")) or bool(
        glob.glob("/usr/lib/*/libcuda.so*") + glob.glob("/usr/local/nvidia/lib64/libcuda.so*"))


def choose_variant(requested: str = "auto") -> str:
    """cuda_ad_rgb with a GPU, else llvm_ad_rgb with LLVM >= 16, else scalar_rgb (slow, warned)."""
    llvm, problem = find_llvm(), llvm_env_problem()
    if problem:  # left as it is, Dr.Jit would load it and fail (or crash) on the LLVM variant
        warnings.warn(f"{problem}; using {llvm or 'no LLVM (scalar_rgb)'} instead: fix or unset the variable")
        os.environ.pop("DRJIT_LIBLLVM_PATH")
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
