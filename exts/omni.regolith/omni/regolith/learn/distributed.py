"""Data-parallel training with torch.distributed (DDP): one process per GPU, or N gloo processes on CPU.

The rule: the batch size is per GPU, so the effective batch is N x `batch_size`, and the learning
rate is NOT rescaled: `lr` is the peak rate of the effective batch. An automatic rule (linear or
square-root) would make one `--lr` mean different runs on different machines; a run's config says
what ran. Each optimizer step sees the same images as a one-process run with batch N x
`batch_size` (the sampler deals each global batch out in rank order) and the loss is normalised
by the valid pixels of the whole global batch, so the gradients are that run's gradients (up to
batch-norm statistics, which stay per GPU, and float rounding).

Launched by `torchrun` (RANK/WORLD_SIZE/LOCAL_RANK in the environment) or spawned here by `spawn`.
"""
from __future__ import annotations

import os
import pickle
import signal
import socket
import warnings
from dataclasses import dataclass

from ..errors import RegolithError
from .progress import Progress


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


SINGLE = Ranks()


def from_env() -> Ranks | None:
    """The ranks torchrun (or `spawn`) put in the environment; None in a plain process."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return None
    return Ranks(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))


def init(ranks: Ranks, device_type: str):
    """Join the process group (NCCL on GPUs, gloo on CPU); this rank's device."""
    import torch
    import torch.distributed as dist

    if device_type == "cuda":
        device = torch.device("cuda", ranks.local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // ranks.world))  # ranks share the cores
    # DDP's note on the one 1x1 conv whose channels_last weight has contiguous-looking strides: harmless
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    if ranks.world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo", rank=ranks.rank,
                                world_size=ranks.world, device_id=device if device_type == "cuda" else None)
    return device


def active() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def all_sum(tensor):
    """Sum `tensor` over the ranks in place (asynchronous to the host on NCCL); itself."""
    if active():
        import torch.distributed as dist

        dist.all_reduce(tensor)
    return tensor


def any_rank(flag: bool, device) -> bool:
    """True on every rank if `flag` is set on any (a host sync: call it every few steps, not each)."""
    if not active():
        return flag
    import torch

    t = torch.tensor([int(flag)], device=device)
    return bool(all_sum(t).item())


def gather(obj) -> list:
    """Every rank's `obj`, in rank order, on every rank."""
    if not active():
        return [obj]
    import torch.distributed as dist

    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def barrier() -> None:
    if active():
        import torch.distributed as dist

        dist.barrier()


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


class Silent(Progress):
    """The progress of ranks other than 0: nothing printed."""

    def event(self, name, **fields):
        pass

    def begin(self, total, initial):
        pass

    def step(self, *args, **kwargs):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(fn, rank: int, world: int, port: int, results, args) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    def report(status, value=None):  # plain pickle: a tensor must not travel as shared memory of a dying process
        results.put((rank, status, pickle.dumps(value)))

    try:
        report("ok", fn(*args))
    except KeyboardInterrupt:
        report("interrupted")
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        report("error", exc if isinstance(exc, RegolithError) else RuntimeError(f"rank {rank}: {type(exc).__name__}: {exc}"))
        raise SystemExit(1) from None
    finally:
        shutdown()


def _forward_signals(procs) -> dict:
    """SIGTERM goes on to the ranks (they checkpoint and stop); Ctrl-C reaches them from the terminal."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def forward(signum, frame):
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signum)

    return {signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
            signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}


def spawn(fn, world: int, args: tuple):
    """Run `fn(*args)` in `world` processes (ranks 0..world-1 on this machine); rank 0's result.
    A rank that fails stops the others, and its error is raised here."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    results, port = ctx.SimpleQueue(), _free_port()
    procs = [ctx.Process(target=_rank_main, args=(fn, r, world, port, results, args)) for r in range(world)]
    for p in procs:
        p.start()
    old, reports = _forward_signals(procs), {}
    try:
        while any(p.is_alive() for p in procs) or not results.empty():
            while not results.empty():  # drain as they come: a large result would block its rank on the pipe
                rank, status, value = results.get()
                reports[rank] = (status, pickle.loads(value))
            for p in procs:
                p.join(0.1)
            if any(p.exitcode not in (None, 0) for p in procs):
                for p in procs:  # the others would wait in a collective for the dead rank: end them
                    if p.is_alive():
                        p.kill()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    for rank in sorted(reports):
        status, value = reports[rank]
        if status == "error":
            raise value
        if status == "interrupted":
            raise KeyboardInterrupt
    if reports.get(0, (None,))[0] != "ok":
        failed = [f"rank {r}: exit {p.exitcode}" for r, p in enumerate(procs) if p.exitcode]
        raise RegolithError(f"distributed training stopped without a result ({', '.join(failed) or 'no report'})")
    return reports[0][1]
