"""Memory (and disk) preflight: refuse a job that would not fit, before it starts.

On a unified-memory box (the 128 GB DGX Spark) running out of memory does not fail cleanly:
the machine swaps to a halt. So big jobs estimate their peak first and compare it with what is
free, keeping a headroom. The estimate is deliberately generous; `--force` overrides it.
This never kills or signals other processes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import MemoryPreflightError

GIB = 1024 ** 3
DEFAULT_HEADROOM = 0.15  # keep this share of total memory free


@dataclass(frozen=True)
class MemoryStatus:
    system_total: int
    system_available: int
    gpu_total: int | None = None
    gpu_free: int | None = None
    unified: bool = False  # GPU and CPU share one pool (DGX Spark / Grace): count it once

    @property
    def limiting_free(self) -> int:
        frees = [self.system_available] + ([self.gpu_free] if self.gpu_free is not None else [])
        return min(frees)


def _meminfo() -> dict[str, int]:
    out = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def memory_status(check_gpu: bool = True) -> MemoryStatus:
    info = _meminfo()
    total = info.get("MemTotal", os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    available = info.get("MemAvailable", total)
    gpu_total = gpu_free = None
    unified = False
    if check_gpu:
        try:
            import torch

            if torch.cuda.is_available():
                gpu_free, gpu_total = torch.cuda.mem_get_info()
                props = torch.cuda.get_device_properties(0)
                unified = bool(getattr(props, "is_integrated", False))
        except Exception:  # noqa: BLE001 - no torch or no driver: CPU-only status
            pass
    return MemoryStatus(total, available, gpu_total, gpu_free, unified)


PLAN_BYTES_IN_MEMORY = 8 * 1024  # one FrameRecord with its camera pose: ~7 KB measured (tracemalloc)


PLAN_BYTES_ON_DISK = 1500  # one line of frames.jsonl: ~1.4 KB


def estimate_generate(width: int, height: int, spp: int, terrain_resolution: int, rock_triangles: int,
                      writer_queue: int = 16, frames: int = 0) -> int:
    """Peak bytes of headless generation: wavefront render state, geometry + BVH, queued frames,
    and the whole frame plan (held in memory)."""
    pixels = width * height
    wavefront = pixels * spp * 256  # per-sample path state of the megakernel, generous
    film = pixels * 4 * 4 * 4
    terrain_tris = 2 * terrain_resolution ** 2
    geometry = (terrain_resolution ** 2 * 32 + (terrain_tris + rock_triangles) * (12 + 64)) * 2
    texture = 1024 * 1024 * 4 * 8
    queued = writer_queue * pixels * (3 + 1 + 4) * 2
    runtime = 600 * 1024 ** 2  # Python, Mitsuba/Dr.Jit libraries and JIT caches
    return wavefront + film + geometry + texture + queued + runtime + frames * PLAN_BYTES_IN_MEMORY


def estimate_dataset_disk(frames: int, width: int, height: int, depth_format: str = "npy") -> int:
    """A lower bound of a dataset's bytes: the plan, depth as stored (.npy is raw float32), RGB and
    mask PNGs at no less than a byte a pixel."""
    depth = width * height * (4 if depth_format == "npy" else 1)
    return frames * (PLAN_BYTES_ON_DISK + depth + width * height)


def disk_preflight(path, need: int, force: bool = False) -> str:
    """The disk verdict for writing `need` bytes under `path`; raise when it cannot fit (unless forced)."""
    import shutil
    from pathlib import Path

    where = Path(path).resolve()
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free
    text = f"disk: needs at least ~{need / GIB:.1f} GiB, {free / GIB:.1f} GiB free: " + (
        "fits" if need <= free else "would NOT fit")
    if need > free and not force:
        raise MemoryPreflightError(f"{text}; free space, use another --out, or pass --force to run anyway")
    return text


def estimate_train(batch_size: int, image_size: int, model: str = "b0", workers: int = 4) -> int:
    """Peak bytes of SegFormer training: activations grow with batch x pixels, plus loaders.

    B0 measured 1,046 bytes per pixel per image in fp32 (`tools/bench/train_memory.py`, 2 CPU
    cores; bf16 autocast on CUDA needs less); 1,400 keeps a third in hand. The earlier 3,200
    refused a B0 run at 1024x1024, batch 32 (114 GiB estimated) that an H200 box ran.
    """
    scale = {"b0": 1.0, "b1": 1.6, "b2": 3.0, "b3": 4.5, "b4": 6.0, "b5": 7.5}.get(model, 8.0)
    activations = int(batch_size * image_size * image_size * 1400 * scale)
    loaders = workers * batch_size * image_size * image_size * 3 * 4 * 4
    runtime = 2 * GIB
    return activations + loaders + runtime


def verdict(need: int, status: MemoryStatus | None = None, headroom: float = DEFAULT_HEADROOM) -> tuple[bool, str]:
    status = status or memory_status()
    keep = int(headroom * (status.system_total if status.gpu_total is None or status.unified else
                           min(status.system_total, status.gpu_total)))
    free = status.limiting_free
    ok = need + keep <= free
    where = "unified memory" if status.unified else ("GPU memory" if status.gpu_free == free and status.gpu_free is not None
                                                     else "system memory")
    text = (f"needs ~{need / GIB:.1f} GiB, {free / GIB:.1f} GiB {where} free, "
            f"{keep / GIB:.1f} GiB kept as headroom: {'fits' if ok else 'would NOT fit'}")
    return ok, text


def preflight(need: int, force: bool = False, headroom: float = DEFAULT_HEADROOM,
              status: MemoryStatus | None = None) -> str:
    """Return the verdict line, or raise when the job would not fit (unless forced)."""
    ok, text = verdict(need, status, headroom)
    if not ok and not force:
        raise MemoryPreflightError(f"memory preflight: {text}; lower the resolution, batch or workers, "
                                   "or pass --force to run anyway")
    return text
