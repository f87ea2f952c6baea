"""A child process whose stdout is read line by line on a thread, drained by the UI.

Training and headless generation never run in Kit's process (a CUDA or torch crash must not take
the editor down, and a Python loop would freeze the UI). A reader thread turns stdout into a
queue; the owning view-model drains it from the UI thread with `poll()`, so no callback ever
touches widgets from another thread and no asyncio subprocess support is needed (Kit's loop type
differs per platform).
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections import deque


def cli_command(python: str | None = None) -> list[str]:
    """How to run `regolith`: an explicit interpreter, else the command on PATH, else this one."""
    if python:
        return [python, "-m", "omni.regolith.cli"]
    found = shutil.which("regolith")
    return [found] if found else [sys.executable, "-m", "omni.regolith.cli"]


def parse_event(line: str) -> dict | None:
    """A JSON progress event ``{"event": ...}``, or None for any other line."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and isinstance(obj.get("event"), str) else None


class LineProcess:
    """Popen plus a reader thread; `poll()` returns new lines and, once finished, the exit code."""

    def __init__(self, argv: list[str], cwd=None, env=None, tail: int = 200):
        self.argv = [str(a) for a in argv]
        self._queue: queue.Queue = queue.Queue()
        self.tail: deque[str] = deque(maxlen=tail)
        self.returncode: int | None = None
        self.stopped = False
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._proc = subprocess.Popen(
            self.argv, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, bufsize=1, errors="replace")
        self._reader = threading.Thread(target=self._read, name="regolith-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _read(self) -> None:
        for line in self._proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._proc.stdout.close()
        self._queue.put(None)  # end of output

    def poll(self) -> tuple[list[str], int | None]:
        """Lines read since the last call, and the exit code once the output is exhausted."""
        lines = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.returncode = self._proc.wait()
                break
            lines.append(item)
            self.tail.append(item)
        return lines, self.returncode

    @property
    def running(self) -> bool:
        return self.returncode is None

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate, then kill if it does not exit within `timeout` seconds."""
        self.stopped = True
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._reader.join(timeout)

    def wait(self, timeout: float | None = None) -> int:
        """Block until the process ends and its output is queued; lines stay for `poll()`."""
        rc = self._proc.wait(timeout)
        self._reader.join(timeout)
        return rc


class ChildTask:
    """Shared polling of a view-model's child process: subclasses handle lines and the exit."""

    proc: "LineProcess | None" = None
    state: str = "idle"
    log: list

    def poll(self) -> bool:
        """Apply output read since the last call (UI thread); True when something changed."""
        if self.proc is None:
            return False
        lines, rc = self.proc.poll()
        for line in lines:
            self._handle(line)
        if rc is not None and self.state == "running":
            last = next((line for line in reversed(self.log) if line.strip()), "")
            self._exited(rc, self.proc.stopped, last)
        return bool(lines) or rc is not None

    def _handle(self, line: str) -> None:
        raise NotImplementedError

    def _exited(self, rc: int, stopped: bool, last_line: str) -> None:
        raise NotImplementedError
