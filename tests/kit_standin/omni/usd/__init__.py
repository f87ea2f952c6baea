"""Stand-in for `omni.usd`: one context holding an in-memory pxr stage."""
from pxr import Usd

_stage = None


def _reset():
    global _stage
    _stage = None


class _Selection:
    def set_selected_prim_paths(self, paths, expand_in_stage):
        import standin

        standin.selection[:] = list(paths)


class _Context:
    def get_stage(self):
        global _stage
        if _stage is None:
            _stage = Usd.Stage.CreateInMemory()
        return _stage

    def get_selection(self):
        return _Selection()


def get_context(name=""):
    return _Context()
