"""regolith: procedural lunar scenes to labelled data, SegFormer training and sim-to-real evaluation.

The core (everything except `omni.regolith.kit`) imports no `omni.*` module, so the CLI, tests
and CI run without Kit. Heavy modules (torch, mitsuba) are imported lazily by the commands.
"""

__version__ = "0.1.0"

CLASS_NAMES = {0: "regolith", 1: "rock", 2: "sky"}
IGNORE_ID = 255
REGOLITH, ROCK, SKY = 0, 1, 2
