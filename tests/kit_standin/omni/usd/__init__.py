"""Stand-in for `omni.usd`: one context holding an in-memory pxr stage."""
from pxr import Usd

_stage = None


def _reset():
    global _stage
    _stage = None


class _Context:
    def get_stage(self):
        global _stage
        if _stage is None:
            _stage = Usd.Stage.CreateInMemory()
        return _stage


def get_context(name=""):
    return _Context()
