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
