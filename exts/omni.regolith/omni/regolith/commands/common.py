"""Arguments shared by several subcommands."""
from __future__ import annotations

MODEL_HELP = ("model dir, training RUN_DIR, or an embedded model by name: default (used when omitted; "
              "1024 input) or fast (512 input, ~4x quicker on CPU)")


def add_config_arguments(p) -> None:
    p.add_argument("--config", help="TOML config (default: the one shipped in the extension)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set rocks.count=50 (repeatable)")


def load_from_args(args):
    from ..config.files import load_config

    return load_config(args.config, args.overrides)


def parse_resolution(text: str | None):
    from ..errors import ConfigError

    if not text:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--resolution {text!r}: expected WIDTHxHEIGHT, e.g. 512x512") from None
    if not (8 <= w <= 8192 and 8 <= h <= 8192):
        raise ConfigError(f"--resolution {text}: each side must be within [8, 8192]")
    return w, h


# -- numbers on the command line: argparse `type=` helpers (a bad value is argparse's one line, exit 2) --
MAX_FRAMES = 10_000_000  # a plan record is ~1.4 KB on disk and ~7 KB in memory: 10 M frames is ~14 GB of plan


def finite_float(text: str) -> float:
    """A float flag; NaN and inf are refused (NaN passes every range check downstream)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def int_in(lo: int, hi: int):
    """An int flag within [lo, hi]."""
    import argparse

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside [{lo:,}, {hi:,}]")
        return value

    return parse


# -- output locations: refused up front, before minutes of work end in a traceback --------------
SYSTEM_DIRS = ("/proc", "/sys", "/dev")
MIN_FREE_BYTES = 64 * 2**20


def check_output(path, option: str = "--out", folder: bool = True):
    """Refuse an output that cannot be written: a system folder, a file where a folder must go (or
    the reverse), a path under a file, a read-only, full or forbidden place. Probes by creating the
    missing folders and a small file, then removes all it made: nothing is left behind."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from ..errors import ConfigError

    p = Path(path).expanduser()
    real = p.resolve()
    for system in SYSTEM_DIRS:
        if real == Path(system) or Path(system) in real.parents:
            raise ConfigError(f"{option} {path}: inside {system}, which is not for files; choose a folder on a disk")
    if p.exists() and p.is_dir() != folder:
        raise ConfigError(f"{option} {path}: exists and is {'not a folder' if folder else 'a folder'}")
    target, missing = p if folder else p.parent, []
    top = target
    while not top.exists() and not top.is_symlink():
        missing.append(top)
        top = top.parent
    if not top.is_dir():
        raise ConfigError(f"{option} {path}: {top} is a file, not a folder")
    made = []
    try:
        for d in reversed(missing):
            d.mkdir()
            made.append(d)
        fd, probe = tempfile.mkstemp(prefix=".regolith-probe-", dir=target)
        try:
            os.write(fd, bytes(4096))  # a full disk refuses a block even when it still takes an inode
        finally:
            os.close(fd)
            os.unlink(probe)
        free = shutil.disk_usage(target).free
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write there ({exc.strerror or exc})") from None
    finally:
        for d in reversed(made):
            try:
                d.rmdir()
            except OSError:
                pass
    if free < MIN_FREE_BYTES:
        raise ConfigError(f"{option} {path}: only {free / 2**20:.0f} MiB free on that disk; free some space first")
    return p
