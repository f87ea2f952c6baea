"""A child process whose stdout is read line by line on a thread, drained by the UI.

Training and headless generation never run in Kit's process (a CUDA or torch crash must not take
the editor down, and a Python loop would freeze the UI). A reader thread turns stdout into a
queue; the owning view-model drains it from the UI thread with `poll()`, so no callback ever
touches widgets from another thread and no asyncio subprocess support is needed (Kit's loop type
differs per platform).

Which Python runs the child is decided here too (`PythonSetting`): inside Kit, `sys.executable`
is the Kit binary, not a usable interpreter, and the torch Kit's own Python sees comes from an
extension's prebundle that only Kit puts on `sys.path`; so the child runs a configured
interpreter or venv (or the one behind an installed `regolith` command, or the repository's
`.venv`), checked once before its first job, with Kit's `PYTHONPATH`, `PYTHONHOME` and
`LD_PRELOAD` removed from its environment.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..errors import RegolithError

# Set by Kit (Isaac Sim's python.sh / kit launcher) for Kit's own interpreter; a child with its own
# venv must not inherit them (they would put Kit's packages or preloaded libraries first).
KIT_ONLY_ENV = ("PYTHONPATH", "PYTHONHOME", "LD_PRELOAD")
SETTING = "/exts/omni.regolith/python"
TRAIN_NEEDS = ("omni.regolith.cli", "numpy", "torch", "transformers", "safetensors")
GENERATE_NEEDS = ("omni.regolith.cli", "numpy", "pxr", "mitsuba", "PIL")


def cli_command(python: str | None = None) -> list[str]:
    """How to run `regolith`: an explicit interpreter, else the command on PATH, else this one."""
    if python:
        return [python, "-m", "omni.regolith.cli"]
    found = shutil.which("regolith")
    return [found] if found else [sys.executable, "-m", "omni.regolith.cli"]


class InterpreterError(RegolithError):
    """The Python configured (or found) for `regolith` children cannot run them."""


def child_env(environ: dict | None = None, extra: dict | None = None) -> dict:
    """`environ` (default: this process's) without Kit's interpreter variables, unbuffered."""
    base = os.environ if environ is None else environ
    env = {k: v for k, v in base.items() if k not in KIT_ONLY_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def venv_python(path: str | Path) -> Path:
    """An interpreter path, or a venv folder's interpreter."""
    path = Path(path).expanduser()
    if path.is_dir():
        for rel in ("bin/python3", "bin/python", "Scripts/python.exe"):
            if (path / rel).exists():
                return path / rel
        return path / "bin" / "python3"
    return path


def script_python(script: str | Path) -> str | None:
    """The interpreter in a console script's `#!` line (how pip writes `regolith`)."""
    try:
        with open(script, "rb") as f:
            first = f.readline(512).decode(errors="replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    if not parts:
        return None
    if Path(parts[0]).name == "env" and len(parts) > 1:
        return shutil.which(parts[1])
    return parts[0]


@dataclass(frozen=True)
class ChildPython:
    python: str
    source: str  # where it came from, for messages: "setting", "`regolith` on PATH", a venv path

    def command(self) -> list[str]:
        return [self.python, "-m", "omni.regolith.cli"]


def find_python(setting: str = "", search_roots: Iterable[str | Path] = (), which: Callable = shutil.which,
                allow_current: bool = False) -> ChildPython:
    """The interpreter `regolith` children run with: the setting (a python or a venv folder), else
    the one behind `regolith` on PATH, else `<root>/.venv` of a search root (the repository the
    extension lives in), else (outside Kit only) this interpreter."""
    if str(setting or "").strip():
        python = venv_python(str(setting).strip())
        if not python.exists():
            raise InterpreterError(f"{SETTING} = {setting!r}: no such interpreter or venv; set it to a Python "
                                   "(or venv folder) that has the regolith pipeline")
        return ChildPython(str(python), "setting")
    script = which("regolith")
    python = script_python(script) if script else None
    if python and Path(python).exists():
        return ChildPython(python, f"`regolith` on PATH ({script})")
    for root in search_roots:
        python = venv_python(Path(root) / ".venv")
        if python.exists():
            return ChildPython(str(python), f"{Path(root) / '.venv'}")
    if allow_current:
        return ChildPython(sys.executable, "this interpreter")
    raise InterpreterError(f"no Python for `regolith` jobs: set {SETTING} to a venv with the pipeline "
                           "(`./repo.sh setup` makes <repo>/.venv) or install `regolith` on PATH")


_PROBE = (
    "import importlib.util, json, sys\n"
    "missing = []\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        found = importlib.util.find_spec(name) is not None\n"
    "    except Exception:\n"
    "        found = False\n"
    "    missing += [] if found else [name]\n"
    "where = ''\n"
    "if 'omni.regolith.cli' not in missing:\n"
    "    where = importlib.util.find_spec('omni.regolith').submodule_search_locations[0]\n"
    "print(json.dumps({'version': list(sys.version_info[:2]), 'missing': missing, 'regolith': where}))\n"
)


def check_python(child: ChildPython, needs: Iterable[str], env: dict | None = None, timeout: float = 60.0,
                 run: Callable = subprocess.run) -> str:
    """Run the interpreter once: it must start, be Python >= 3.10 and find every module in `needs`
    (found, not imported: torch is not loaded). Returns a one-line summary; raises InterpreterError
    with a one-line message otherwise."""
    needs = list(needs)
    where = f"{child.python} (from {child.source})"
    try:
        out = run([child.python, "-c", _PROBE, *needs], capture_output=True, text=True, timeout=timeout,
                  env=child_env(env), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterError(f"cannot run {where}: {exc}") from exc
    lines = (out.stdout or "").strip().splitlines()
    try:
        info = json.loads(lines[-1])
    except (IndexError, ValueError):
        last = ((out.stderr or "").strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(f"{where} is not a usable Python (exit {out.returncode}): {last}") from None
    if tuple(info["version"]) < (3, 10):
        raise InterpreterError(f"{where} is Python {info['version'][0]}.{info['version'][1]}; regolith needs >= 3.10")
    if info["missing"]:
        raise InterpreterError(f"{where} lacks {', '.join(info['missing'])}: install the pipeline there "
                               f"(pip install -e <repo>) or point {SETTING} at another venv")
    return f"{child.python} (Python {info['version'][0]}.{info['version'][1]}, regolith in {info['regolith']})"


class PythonSetting:
    """The interpreter for `regolith` children, found lazily and checked once per set of needed
    modules; the Kit layer builds one from `/exts/omni.regolith/python` and shares it."""

    def __init__(self, setting: str = "", search_roots: Iterable[str | Path] = (), allow_current: bool = False,
                 scrub: bool = True, which: Callable = shutil.which, run: Callable = subprocess.run):
        self.setting, self.search_roots = setting or "", list(search_roots)
        self.allow_current, self.scrub = allow_current, scrub
        self._which, self._run = which, run
        self._checked: dict[tuple, str] = {}
        self.status = ""

    def command(self, needs: Iterable[str]) -> list[str]:
        """argv prefix running `regolith`; raises InterpreterError (one line) if it cannot."""
        child = find_python(self.setting, self.search_roots, self._which, self.allow_current)
        key = (child.python, tuple(needs))
        if key not in self._checked:
            self._checked[key] = check_python(child, key[1], run=self._run)
        self.status = f"python: {self._checked[key]}"
        return child.command()

    def env(self) -> dict | None:
        """The child's environment (None: inherit this process's unchanged)."""
        return child_env() if self.scrub else None


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

    def __init__(self, argv: list[str], cwd=None, env=None, tail: int = 200, base_env: dict | None = None):
        """`base_env`: the whole environment to start from (default: this process's); `env`:
        variables added on top."""
        self.argv = [str(a) for a in argv]
        self._queue: queue.Queue = queue.Queue()
        self.tail: deque[str] = deque(maxlen=tail)
        self.returncode: int | None = None
        self.stopped = False
        start = os.environ if base_env is None else base_env
        full_env = {**start, "PYTHONUNBUFFERED": "1", **(env or {})}
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
