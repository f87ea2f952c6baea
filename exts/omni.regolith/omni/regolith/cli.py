"""The `regolith` command. Each subcommand is a light module in `commands/` (argparse only);
heavy imports (torch, mitsuba) happen inside its `run`, so `regolith --help` is instant.
Any `RegolithError` becomes one line on stderr and exit code 2: never a traceback for bad input.
So does an `OSError` (a full disk, a read-only or missing folder): the file and the system's reason.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import RegolithError

# subcommand -> module in omni.regolith.commands exposing HELP, add_arguments(parser), run(args) -> int
COMMANDS = {
    "stage": "stage",
    "plan": "plan",
    "generate": "generate",
    "stats": "stats",
    "export": "export",
    "doctor": "doctor",
    "train": "train",
    "evaluate": "evaluate",
    "render": "render",
    "experiment": "experiment",
    "workers": "workers",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regolith",
        description="Procedural lunar scenes -> labelled data -> SegFormer -> honest sim-to-real evaluation.",
        epilog="`regolith COMMAND --help` for each command's options.")
    parser.add_argument("--version", action="version", version=f"regolith {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f".commands.{module}", __package__)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(run=mod.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except RegolithError as exc:
        print(f"regolith {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # ENOSPC, EACCES, ENOTDIR, EROFS, EEXIST...: the file and the reason
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"regolith {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"regolith {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
