"""The distributed engine: Dask (docs/decisions/engine.md says why not Ray, and not our own).

A local cluster of worker processes by default (one per `Slot`, one task at a time each, pinned
to its GPU through CUDA_VISIBLE_DEVICES), or the scheduler of a running cluster when an address
is given. A task whose worker dies is rescheduled on another worker by Dask's scheduler (up to
`distributed.scheduler.allowed-failures`, 3 by default), and the nanny restarts the dead worker;
our tasks are idempotent (a shard renders only its missing frames), so a retry finishes the job
with the same bytes.
"""
from __future__ import annotations

import logging
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from ..errors import EngineError

INSTALL_HINT = "pip install 'dask[distributed]' (or carry its wheels: tools/device/make_wheels.sh)"


@dataclass(frozen=True)
class Task:
    """One unit of work: `fn(*args, **kwargs)` in a worker process; `resources` as Dask's (e.g. {"GPU": 1})."""
    key: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    resources: dict | None = None


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise EngineError(f"the distributed engine needs Dask ({exc}); {INSTALL_HINT}") from None
    return distributed


def local_cluster(slots, kernel_cache: str | None = None, resources: dict | None = None, scratch: str | None = None):
    """A Dask SpecCluster on this machine (loopback only): one nanny-supervised worker process per slot."""
    d = _distributed()
    workers = {s.name: {"cls": d.Nanny, "options": {
        "nthreads": 1, "name": s.name, "env": s.env(kernel_cache), "memory_limit": 0, "resources": resources,
        "host": "127.0.0.1", "silence_logs": logging.ERROR, "local_directory": scratch}} for s in slots}
    scheduler = {"cls": d.Scheduler, "options": {"dashboard_address": None, "host": "127.0.0.1"}}
    return d.SpecCluster(workers=workers, scheduler=scheduler, silence_logs=logging.ERROR, name="regolith")


@contextmanager
def open_engine(slots=(), address: str | None = None, kernel_cache: str | None = None,
                resources: dict | None = None):
    """A Dask client on a fresh local cluster of `slots`, or on the running scheduler at `address`."""
    d = _distributed()
    if address:
        try:
            client = d.Client(address, timeout="30s")
        except OSError as exc:
            raise EngineError(f"no Dask scheduler answers at {address} ({exc}); start one with `dask scheduler` "
                              "and workers with `regolith workers --scheduler ADDRESS`") from None
        with client:
            yield client
        return
    with tempfile.TemporaryDirectory(prefix="regolith-engine-") as scratch, \
            local_cluster(slots, kernel_cache, resources, scratch) as cluster, d.Client(cluster) as client:
        yield client


def run_tasks(client, tasks: list[Task], retries: int = 1, on_done: Callable | None = None) -> dict:
    """Run every task on the engine; {task key: result}. A task that raises is retried `retries`
    times, one whose worker dies is rescheduled; EngineError once one has failed for good."""
    d = _distributed()
    token = uuid.uuid4().hex[:8]  # keys stay unique on a shared, long-running scheduler
    futures = {client.submit(t.fn, *t.args, key=f"{t.key}-{token}", pure=False, retries=retries,
                             resources=t.resources, **t.kwargs): t for t in tasks}
    results = {}
    try:
        for future in d.as_completed(futures):
            task = futures[future]
            results[task.key] = future.result()
            if on_done:
                on_done(task, results[task.key])
    except d.KilledWorker as exc:
        raise EngineError(f"a task killed its worker again and again, so it was given up: {exc}") from None
    finally:
        for future in futures:
            future.cancel()
    return results


def serve_workers(address: str, slots, kernel_cache: str | None = None) -> int:
    """Join this machine's slots to the cluster at `address` (one `dask worker` process each, pinned
    to its GPU) and wait; Ctrl-C or SIGTERM stops them all. Returns the first non-zero exit code."""
    import os
    import signal
    import subprocess
    import sys

    _distributed()
    procs = []
    for s in slots:
        env = {**os.environ, **s.env(kernel_cache)}
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                       "--name", f"{os.uname().nodename}-{s.name}", "--memory-limit", "0"], env=env))

    def stop(signum, frame):
        for p in procs:
            p.send_signal(signal.SIGTERM)

    old = signal.signal(signal.SIGTERM, stop)
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        stop(signal.SIGINT, None)
        codes = [p.wait() for p in procs]
    finally:
        signal.signal(signal.SIGTERM, old)
    return next((c for c in codes if c), 0)
