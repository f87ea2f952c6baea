"""Running an experiment's tasks: the one interface every scheduler implements, and the local one.

A task is a `regolith` command line with the keys of the tasks it waits for, so any scheduler
that can run a command where the files are (this machine's GPUs here; a Ray or Dask cluster on a
shared filesystem later) runs an experiment the same way. `run(tasks)` returns each task's exit
code; a task whose dependency failed is not run (code SKIPPED). Resuming is not the scheduler's
business: the experiment only hands it what is not done yet.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

SKIPPED = -1  # a dependency failed


INTERRUPTED = 130  # the CLI's code for Ctrl-C / SIGTERM


@dataclass(frozen=True)
class Task:
    key: str  # unique: "generate/v1/train", "train/v1/s0", ...
    argv: tuple  # arguments of the `regolith` command
    after: tuple = ()  # keys that must finish (exit 0) first
    log: str = ""  # file the command's output goes to


class Scheduler(Protocol):
    def run(self, tasks: Sequence[Task]) -> dict:
        """Run every task once its `after` tasks succeeded; {key: exit code}."""


Event = Callable[[str, Task, int | None], None]  # ("start" | "end", task, exit code or None)


def _in_process(task: Task) -> int:
    """Run the command in this process (no interpreter start, no torch import per task), its
    output into the task's log. Ctrl-C still stops it where it would stop the command."""
    import contextlib

    from ..cli import main

    log = Path(task.log) if task.log else Path(os.devnull)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        try:
            return int(main(list(task.argv)) or 0)
        except SystemExit as exc:  # argparse's usage errors
            return int(exc.code or 0) if isinstance(exc.code, int) else 2


@dataclass
class LocalScheduler:
    """Tasks on this machine: one slot per GPU (times `per_gpu`), each task a process pinned to
    its slot's GPU by CUDA_VISIBLE_DEVICES. Without GPUs and with one slot, tasks run one after
    another inside this process (`in_process`), which is what 2 CPU cores can afford."""

    gpus: Sequence = ()  # GPU ids, e.g. (0, 1, 2, 3); empty: CPU (or whatever the process sees)
    per_gpu: int = 1  # processes sharing one GPU
    in_process: bool | None = None  # None: when there is a single slot and no GPU list
    on_event: Event | None = None
    poll_s: float = 0.5

    def slots(self) -> list:
        """One environment per concurrent task."""
        if not self.gpus:
            return [{}] * max(1, self.per_gpu)
        return [{"CUDA_VISIBLE_DEVICES": str(g)} for g in self.gpus for _ in range(max(1, self.per_gpu))]

    def _event(self, what: str, task: Task, code=None) -> None:
        if self.on_event:
            self.on_event(what, task, code)

    def run(self, tasks: Sequence[Task]) -> dict:
        keys = {t.key for t in tasks}  # a dependency outside this batch was done before (a resumed run)
        slots = self.slots()
        serial = self.in_process if self.in_process is not None else (len(slots) == 1 and not self.gpus)
        pending, codes, running = list(tasks), {}, {}
        try:
            _sigterm_as_interrupt()  # `kill` of a background experiment stops its runs too (they checkpoint)
            while pending or running:
                for slot, (t, proc) in list(running.items()):
                    if proc.poll() is not None:
                        del running[slot]
                        codes[t.key] = proc.returncode
                        self._event("end", t, proc.returncode)
                ready, doomed = _ready(pending, codes, keys)
                for t in doomed:
                    pending.remove(t)
                    codes[t.key] = SKIPPED
                    self._event("end", t, SKIPPED)
                free = [i for i in range(len(slots)) if i not in running]
                for t, slot in zip(ready, free):
                    pending.remove(t)
                    self._event("start", t)
                    if serial:
                        codes[t.key] = _in_process(t)
                        self._event("end", t, codes[t.key])
                        if codes[t.key] == INTERRUPTED:
                            raise KeyboardInterrupt
                    else:
                        running[slot] = (t, _spawn(t, slots[slot]))
                if running and not serial:
                    time.sleep(self.poll_s)
                elif pending and not ready and not doomed and not running:
                    raise RuntimeError(f"tasks wait for unknown keys: {[t.after for t in pending][:3]}")
        finally:
            for t, proc in running.values():  # interrupted: the runs checkpoint on SIGTERM
                proc.terminate()
            for t, proc in running.values():
                proc.wait()
            _sigterm_as_interrupt(restore=True)
        return codes


_SAVED: list = []


def _sigterm_as_interrupt(restore: bool = False) -> None:
    """SIGTERM raises KeyboardInterrupt in the main thread while tasks run (then the old handler)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    if restore:
        if _SAVED:
            signal.signal(signal.SIGTERM, _SAVED.pop())
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    _SAVED.append(signal.signal(signal.SIGTERM, interrupt))


def _ready(pending: list, codes: dict, keys: set) -> tuple[list, list]:
    """(tasks whose dependencies all succeeded, tasks one of whose dependencies failed)."""
    ready, doomed = [], []
    for t in pending:
        if any(codes.get(a, 0) != 0 for a in t.after if a in codes):
            doomed.append(t)
        elif all(a in codes for a in t.after if a in keys):
            ready.append(t)
    return ready, doomed


def _spawn(task: Task, env: dict):
    log = Path(task.log) if task.log else Path(os.devnull)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as f:
        return subprocess.Popen([sys.executable, "-m", "omni.regolith.cli", *task.argv], stdout=f,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env={**os.environ, **env})
