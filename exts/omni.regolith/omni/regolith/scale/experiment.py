"""`regolith experiment`'s runs on the engine: the interface of its LocalScheduler, on Dask.

`EngineScheduler().run(tasks)` takes the experiment's tasks (each a `regolith` command line: `key`,
`argv`, `after` (keys it waits for), `log`) and returns {key: exit code}, SKIPPED (-1) for a task
one of whose dependencies failed, as `experiment.schedule.LocalScheduler` does; it calls
`on_event("start" | "end", task, code)` when it is set. Each command runs in a worker process's
slot (its GPU through CUDA_VISIBLE_DEVICES), on a local cluster or the cluster at `address`
(workers there need the same filesystem). Dependencies are Dask's: a task is queued with the
futures it waits for, so the engine, not a poll loop, starts it when they are done.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..experiment.schedule import SKIPPED  # a dependency failed


def _die_with_parent() -> None:
    """The command ends when its worker dies (a lost worker's retry must not race an orphan)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_command(argv: Sequence[str], log: str = "", *dependency_codes: int) -> int:
    """The task: `regolith ARGV` in a subprocess of this worker, output into `log`; its exit code."""
    if any(code != 0 for code in dependency_codes):
        return SKIPPED
    path = Path(log) if log else Path(os.devnull)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        return subprocess.run([sys.executable, "-m", "omni.regolith.cli", *argv], stdout=f, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent).returncode


def in_dependency_order(tasks: Sequence) -> list:
    """Tasks with each after the tasks it waits for (keys outside the batch were done before)."""
    keys, placed, ordered = {t.key for t in tasks}, set(), []
    pending = list(tasks)
    while pending:
        ready = [t for t in pending if all(a in placed or a not in keys for a in t.after)]
        if not ready:
            raise ValueError(f"tasks wait on each other in a cycle: {[t.key for t in pending][:3]}")
        for t in ready:
            ordered.append(t)
            placed.add(t.key)
            pending.remove(t)
    return ordered


@dataclass
class EngineScheduler:
    slots: Sequence = ()  # scale.slots.Slot list for a local cluster (e.g. make_slots(gpus, per_gpu))
    address: str | None = None  # a running Dask scheduler instead
    kernel_cache: str | None = None
    on_event: Callable | None = None
    client: object = None  # an open Dask client to use as it is (tests)

    def run(self, tasks: Sequence) -> dict:
        from .engine import open_engine

        if self.client is not None:
            return self._run(self.client, tasks)
        with open_engine(self.slots, self.address, self.kernel_cache) as client:
            return self._run(client, tasks)

    def _run(self, client, tasks: Sequence) -> dict:
        import uuid

        from distributed import as_completed

        token, futures, by_key = uuid.uuid4().hex[:8], {}, {}
        for t in in_dependency_order(tasks):
            deps = [by_key[a] for a in t.after if a in by_key]
            future = client.submit(run_command, tuple(t.argv), t.log, *deps, key=f"{t.key}-{token}", pure=False)
            futures[future], by_key[t.key] = t, future
            self._event("start", t)  # queued: Dask starts it when a slot is free and its dependencies are done
        codes = {}
        for future in as_completed(list(futures)):
            t = futures[future]
            codes[t.key] = future.result()
            self._event("end", t, codes[t.key])
        return codes

    def _event(self, what: str, task, code=None) -> None:
        if self.on_event:
            self.on_event(what, task, code)
