"""One exception type per domain, each with a message a user can act on.

The CLI prints any `RegolithError` as a single line and exits non-zero: no tracebacks for bad input.
"""


class RegolithError(Exception):
    """Base of every error the CLI reports as one line."""


class ConfigError(RegolithError):
    """A config value is missing, mistyped or out of range."""


class StageError(RegolithError):
    """A USD stage is missing prims or cannot be read."""


class RenderError(RegolithError):
    """The headless renderer cannot run (no usable Mitsuba variant, bad scene)."""


class DatasetError(RegolithError):
    """A dataset folder is inconsistent, corrupt, or belongs to another config."""


class ModelError(RegolithError):
    """A checkpoint is missing or does not match the expected architecture or labels."""


class MemoryPreflightError(RegolithError):
    """A job would not fit in the memory (or on the disk) left on this machine."""


class BusyError(RegolithError):
    """Another regolith process is writing to the same output folder."""
    """A job would not fit in the memory left on this machine."""


class EngineError(RegolithError):
    """The distributed engine is not installed, cannot be reached, or a task failed for good."""
