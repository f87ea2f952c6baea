"""Checkpoints that make `--resume` exact: model, optimizer, schedule and RNG states, written
atomically; SIGINT/SIGTERM ask for one at the next step boundary.
"""
from __future__ import annotations

import io
import signal

from ..io import atomic_write_bytes


class StopFlag:
    """SIGINT/SIGTERM ask for a checkpoint at the next step boundary; a second SIGINT aborts."""

    def __init__(self):
        self.set, self._old = False, {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no handlers, kills lose the partial epoch
                pass
        return self

    def _handle(self, signum, frame):
        self.set = True
        signal.signal(signum, self._old.get(signum, signal.SIG_DFL))

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def rng_state(device) -> dict:
    """The global RNG states dropout and drop-path read (one per rank in a distributed run)."""
    import torch

    return {"cpu": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def set_rng_state(saved: dict, device) -> None:
    import torch

    torch.set_rng_state(saved["cpu"].cpu())
    if saved["cuda"] is not None and device.type == "cuda":
        torch.cuda.set_rng_state(saved["cuda"].cpu(), device)


def save_checkpoint(path, model, opt, sched, state: dict, device, rank_rngs: list | None = None) -> None:
    """Atomically; `rank_rngs` (every rank's `rng_state`, rank order) when training is distributed."""
    import torch

    own = rng_state(device)
    state = dict(state, model=model.state_dict(), optimizer=opt.state_dict(), scheduler=sched.state_dict(),
                 rng_cpu=own["cpu"], rng_cuda=own["cuda"])
    if rank_rngs:
        state["rng_ranks"] = rank_rngs
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path, model, opt, sched, device) -> dict:
    import pickle

    import torch

    from ..errors import ModelError

    try:  # weights_only: a checkpoint holding anything but tensors and plain values is refused, never run
        state = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"holds a {type(state).__name__}, not a checkpoint")
        model.load_state_dict(state.pop("model"))
        opt.load_state_dict(state.pop("optimizer"))
        sched.load_state_dict(state.pop("scheduler"))
        saved_rng = {"cpu": state.pop("rng_cpu"), "cuda": state.pop("rng_cuda")}
        set_rng_state(saved_rng, device)
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError, EOFError,
            pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: unusable checkpoint ({first[:200]}); delete it to start over") from None
    return state  # a distributed run's holds "rng_ranks": each rank sets its own
