"""Where render workers run: which GPUs, how many processes on each, and their environment.

One generation process drives an H200 at ~100 frames/s and leaves two thirds of it idle
(Python, kernel launches and PNG encoding serialize each frame); four processes on one card
reached 308 frames/s in total. So `auto` runs several processes per GPU, bounded by the CPU
cores each needs (render loop, geometry thread, file writers). On a machine without a GPU one
process already uses every core (Dr.Jit's LLVM backend is multithreaded): `auto` is 1 there.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

MAX_AUTO_PROCS_PER_GPU = 4  # 1, 2, 4 processes on one H200: 97, 208, 308 frames/s (docs/benchmarks.md)
CORES_PER_PROC = 4  # render loop + geometry thread + file writers


@dataclass(frozen=True)
class Slot:
    """One worker process: its name and the GPU it is pinned to (None: CPU)."""
    name: str
    gpu: str | None

    def env(self, kernel_cache: str | None) -> dict:
        env = {"CUDA_VISIBLE_DEVICES": self.gpu if self.gpu is not None else ""}  # a CPU worker takes no GPU
        if kernel_cache:
            env["DRJIT_CACHE_DIR"] = kernel_cache
        return env


def visible_gpus() -> list[str]:
    """The GPUs this process may use: CUDA_VISIBLE_DEVICES if set, else those nvidia-smi lists."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.stdout.splitlines()) if line.startswith("GPU ")]


def pick_gpus(text: str | None, visible: list[str]) -> list[str]:
    """`all` (or None) -> every visible GPU; `0,2` -> those, each checked against the visible ones."""
    if text in (None, "", "all"):
        return list(visible)
    wanted = [g.strip() for g in text.split(",") if g.strip()]
    missing = [g for g in wanted if g not in visible]
    if missing:
        raise ConfigError(f"--gpus {text}: GPU {', '.join(missing)} not visible here "
                          f"(visible: {', '.join(visible) or 'none'})")
    return wanted


def procs_per_gpu(text: str | int | None, gpus: list[str], cpu_count: int | None = None) -> int:
    """`auto`: up to 4 per GPU, one per CORES_PER_PROC cores; 1 without GPUs. Else the number given."""
    if text in (None, "", "auto"):
        if not gpus:
            return 1
        cores = cpu_count or os.cpu_count() or 1
        return max(1, min(MAX_AUTO_PROCS_PER_GPU, cores // (CORES_PER_PROC * len(gpus))))
    try:
        n = int(text)
    except ValueError:
        raise ConfigError(f"--procs-per-gpu {text!r}: a number or auto") from None
    if not 1 <= n <= 64:
        raise ConfigError(f"--procs-per-gpu {n}: must be within [1, 64]")
    return n


def make_slots(gpus: list[str], per_gpu: int) -> list[Slot]:
    """Workers round-robin over GPUs (gpu0-p0, gpu1-p0, ...), so a partial job still spreads out."""
    if not gpus:
        return [Slot(f"cpu-p{k}", None) for k in range(per_gpu)]
    return [Slot(f"gpu{g}-p{k}", g) for k in range(per_gpu) for g in gpus]


def default_kernel_cache() -> Path:
    """Dr.Jit's compiled kernels (and OptiX's, which Dr.Jit points at the same folder) persist here."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "regolith" / "kernels"


def kernel_cache_dir(text: str | None) -> str | None:
    """--kernel-cache DIR, `off` (Dr.Jit's own default, ~/.drjit), or None for the default folder."""
    if text == "off":
        return None
    path = Path(text).expanduser() if text else default_kernel_cache()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--kernel-cache {path}: cannot create it ({exc.strerror})") from None
    return str(path.resolve())
