"""Small omni.ui rows shared by the window and the preview panel, so both look and bind alike."""
from __future__ import annotations

import omni.ui as ui

LABEL_W = 170  # label column width of every labelled row


def text_row(label: str, value: str, on_change):
    """A labelled string field; `on_change(text)` on every edit."""
    with ui.HStack(height=0):
        ui.Label(label, width=LABEL_W)
        field = ui.StringField()
        field.model.set_value(value)
        field.model.add_value_changed_fn(lambda m: on_change(m.get_value_as_string()))
    return field
