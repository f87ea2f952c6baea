"""Stand-in for `carb`: logging recorded into `carb.logged`."""
from . import settings  # noqa: F401

logged: list = []


def log_info(msg):
    logged.append(("info", msg))


def log_warn(msg):
    logged.append(("warn", msg))


def log_error(msg):
    logged.append(("error", msg))
