"""Plain-Python state and actions of each panel of the Kit window.

Nothing here imports `omni.*` or `carb`: the views in `omni.regolith.kit` only bind widgets to
these objects, so every rule (validation, what a button does, how a job is launched and read)
is tested headless by `tests/test_viewmodels.py`.
"""
from .document import ConfigDocument
from .generate_vm import GenerateViewModel
from .preview_vm import PreviewViewModel
from .randomization_vm import RandomizationViewModel
from .stage_vm import StageViewModel
from .train_vm import TrainViewModel

__all__ = ["ConfigDocument", "GenerateViewModel", "PreviewViewModel", "RandomizationViewModel",
           "StageViewModel", "TrainViewModel"]
