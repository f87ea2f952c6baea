"""Stand-in for `omni.ui`: widgets record themselves (and their parent) in `standin.widgets`.

Only documented names exist, and each widget accepts only the keyword arguments listed in
`_KWARGS`: a misspelt widget, keyword or model method raises, as it would in Kit.
"""
import enum

import numpy as np

import standin

_STYLE = {"width", "height", "name", "style", "tooltip", "identifier", "visible", "enabled"}
_KWARGS = {
    "Label": {"word_wrap", "alignment", "elided_text"},
    "Button": {"clicked_fn"},
    "StringField": {"model", "read_only", "multiline", "password_mode"},
    "FloatField": {"model", "precision"},
    "IntField": {"model"},
    "FloatDrag": {"model", "min", "max", "step"},
    "IntDrag": {"model", "min", "max", "step"},
    "CheckBox": {"model"},
    "ComboBox": {"arrow_only"},
    "ProgressBar": {"model"},
    "ImageWithProvider": {"fill_policy", "alignment"},
    "VStack": {"spacing"},
    "HStack": {"spacing"},
    "ZStack": set(),
    "ScrollingFrame": {"horizontal_scrollbar_policy", "vertical_scrollbar_policy"},
    "CollapsableFrame": {"collapsed", "title"},
    "Frame": set(),
    "Spacer": set(),
    "Separator": set(),
}
_stack: list = []


class DockPreference(enum.Enum):
    DISABLED, MAIN, RIGHT, LEFT, RIGHT_TOP, RIGHT_BOTTOM, LEFT_BOTTOM = range(7)


class Alignment(enum.Enum):
    LEFT_TOP, LEFT_CENTER, LEFT_BOTTOM, CENTER_TOP, CENTER, CENTER_BOTTOM, RIGHT_TOP, RIGHT_CENTER, RIGHT_BOTTOM = range(9)
    LEFT, RIGHT, TOP, BOTTOM = LEFT_CENTER, RIGHT_CENTER, CENTER_TOP, CENTER_BOTTOM


class IwpFillPolicy(enum.Enum):  # ImageWithProvider fill policies (omni.ui docs, "ImageWithProvider")
    IWP_STRETCH, IWP_PRESERVE_ASPECT_FIT, IWP_PRESERVE_ASPECT_CROP = range(3)


class DockPosition(enum.Enum):
    RIGHT, LEFT, TOP, BOTTOM, SAME = range(5)


class DockPolicy(enum.Enum):
    DO_NOTHING, CURRENT_WINDOW_IS_ACTIVE, TARGET_WINDOW_IS_ACTIVE = range(3)


class _ValueModel:
    _cast = staticmethod(lambda v: v)

    def __init__(self, value=None, **_bounds):
        self._value = self._cast(self._default if value is None else value)
        self._fns: dict = {}

    def get_value_as_float(self):
        return float(self._value)

    def get_value_as_int(self):
        return int(self._value)

    def get_value_as_bool(self):
        return bool(self._value)

    def get_value_as_string(self):
        return str(self._value)

    as_float = property(get_value_as_float)
    as_int = property(get_value_as_int)
    as_bool = property(get_value_as_bool)
    as_string = property(get_value_as_string)

    def set_value(self, value):
        value = self._cast(value)
        if value != self._value:
            self._value = value
            for fn in list(self._fns.values()):
                fn(self)

    def add_value_changed_fn(self, fn):
        key = len(self._fns) + 1
        self._fns[key] = fn
        return key

    def remove_value_changed_fn(self, key):
        self._fns.pop(key)


class SimpleFloatModel(_ValueModel):
    _default, _cast = 0.0, staticmethod(float)


class SimpleIntModel(_ValueModel):
    _default, _cast = 0, staticmethod(int)


class SimpleBoolModel(_ValueModel):
    _default, _cast = False, staticmethod(bool)


class SimpleStringModel(_ValueModel):
    _default, _cast = "", staticmethod(str)


class Widget:
    _model = None  # default model class, if the widget owns one

    def __init__(self, *args, **kwargs):
        kind = type(self).__name__
        unknown = set(kwargs) - _STYLE - _KWARGS[kind]
        if unknown:
            raise TypeError(f"{kind}() got unexpected keyword arguments {sorted(unknown)}")
        self.args, self.kwargs = args, kwargs
        self.visible = kwargs.get("visible", True)
        self.enabled = kwargs.get("enabled", True)
        self.tooltip = kwargs.get("tooltip", "")
        self.children: list = []
        self.destroyed = False
        self.parent = _stack[-1] if _stack else None
        if self.parent is not None:
            self.parent.children.append(self)
        if self._model is not None:
            self.model = kwargs.get("model") or self._model()
        standin.widgets.append(self)

    def destroy(self):
        self.destroyed = True
        for child in self.children:
            child.destroy()

    def __enter__(self):
        _stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack.pop()


class Label(Widget):
    def __init__(self, text="", **kwargs):
        super().__init__(text, **kwargs)
        self.text = text


class Button(Widget):
    def __init__(self, text="", **kwargs):
        super().__init__(text, **kwargs)
        self.text = text
        self.clicked_fn = kwargs.get("clicked_fn")

    def set_clicked_fn(self, fn):
        self.clicked_fn = fn

    def call_clicked_fn(self):
        if self.clicked_fn is not None:
            self.clicked_fn()


class StringField(Widget):
    _model = SimpleStringModel


class FloatField(Widget):
    _model = SimpleFloatModel


class IntField(Widget):
    _model = SimpleIntModel


class FloatDrag(Widget):
    _model = SimpleFloatModel


class IntDrag(Widget):
    _model = SimpleIntModel


class CheckBox(Widget):
    _model = SimpleBoolModel


class ProgressBar(Widget):
    _model = SimpleFloatModel


class _ComboModel:
    def __init__(self, index, items):
        self._items = list(items)
        self._index = SimpleIntModel(index)
        self._fns = []
        self._index.add_value_changed_fn(lambda m: [fn(self, None) for fn in list(self._fns)])

    def get_item_value_model(self, item=None, column_id=0):
        return self._index

    def get_item_children(self, item=None):
        return list(self._items)

    def add_item_changed_fn(self, fn):
        self._fns.append(fn)
        return len(self._fns)


class ComboBox(Widget):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        index, *items = args
        if not 0 <= index < len(items):
            raise IndexError(f"ComboBox index {index} outside {items}")
        self.model = _ComboModel(index, items)


class ByteImageProvider:
    def __init__(self):
        self.size = None
        self.frames = 0

    def set_data_array(self, array, size):
        array = np.asarray(array)
        w, h = size
        if array.dtype != np.uint8 or array.shape != (h, w, 4):
            raise ValueError(f"set_data_array wants ({h}, {w}, 4) uint8, got {array.shape} {array.dtype}")
        self.size, self.frames = (w, h), self.frames + 1

    def set_bytes_data(self, data, size):
        if len(data) != size[0] * size[1] * 4:
            raise ValueError("set_bytes_data: wrong length")
        self.size, self.frames = tuple(size), self.frames + 1


class ImageWithProvider(Widget):
    def __init__(self, provider=None, **kwargs):
        super().__init__(**kwargs)
        self.provider = provider


class VStack(Widget):
    pass


class HStack(Widget):
    pass


class ZStack(Widget):
    pass


class ScrollingFrame(Widget):
    pass


class CollapsableFrame(Widget):
    def __init__(self, title="", **kwargs):
        super().__init__(**kwargs)
        self.title = title
        self.collapsed = kwargs.get("collapsed", False)


class Spacer(Widget):
    pass


class Separator(Widget):
    pass


class Frame(Widget):
    """A window's root frame: the build function runs when the frame is first drawn."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._build_fn = None
        self.builds = 0

    def set_build_fn(self, fn):
        self._build_fn = fn

    def clear(self):
        for child in self.children:
            child.destroy()
        self.children = []

    def rebuild(self):
        self.clear()
        if self._build_fn is not None:
            _stack.append(self)
            try:
                self._build_fn()
            finally:
                _stack.pop()
            self.builds += 1


class Window:
    def __init__(self, title, width=400, height=300, dockPreference=DockPreference.DISABLED, visible=True,
                 flags=0, padding_x=None, padding_y=None):
        self.title, self.width, self.height = title, width, height
        self.frame = Frame()
        self._visible = visible
        self._visibility_fn = None
        self.destroyed = False
        standin.windows[title] = self

    def draw(self):
        """What Kit does on the first frame the window is visible: run the build function once."""
        if self._visible and not self.destroyed and self.frame.builds == 0:
            self.frame.rebuild()

    @property
    def visible(self):
        return self._visible

    @visible.setter
    def visible(self, value):
        value = bool(value)
        if value != self._visible:
            self._visible = value
            if self._visibility_fn is not None:
                self._visibility_fn(value)

    def set_visibility_changed_fn(self, fn):
        self._visibility_fn = fn

    def deferred_dock_in(self, target, policy=DockPolicy.DO_NOTHING):
        self.docked_in = target

    def dock_in(self, window, position, ratio=0.5):
        if not isinstance(window, Window) or not isinstance(position, DockPosition):
            raise TypeError(f"dock_in(window, ui.DockPosition, ratio) got {window!r}, {position!r}")
        self.docked_in, self.dock_position, self.dock_ratio = window, position, ratio

    def destroy(self):
        self.destroyed = True
        self.frame.destroy()
        if standin.windows.get(self.title) is self:
            del standin.windows[self.title]


class Workspace:
    @staticmethod
    def set_show_window_fn(title, fn):
        if fn is None:
            standin.show_fns.pop(title, None)
        else:
            standin.show_fns[title] = fn

    @staticmethod
    def show_window(title, show=True):
        fn = standin.show_fns.get(title)
        if fn is not None:
            fn(show)
        return fn is not None

    @staticmethod
    def get_window(title):
        return standin.windows.get(title)
