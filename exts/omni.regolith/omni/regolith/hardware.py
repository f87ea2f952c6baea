"""What a measurement ran on: every benchmark and figure names its card."""
from __future__ import annotations

import os
import platform


def device_name(cuda: bool | None = None) -> str:
    """The GPU's name when `cuda` (default: when torch sees one), else the CPU cores."""
    try:
        import torch

        if cuda is not False and torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001 - a name for a report, never a failure
        if cuda:
            return "CUDA GPU"
    return f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()})"
