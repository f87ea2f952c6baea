"""Stand-in for `omni.kit.menu.utils`: menus recorded in `standin.menus`."""
import standin


class MenuItemDescription:
    def __init__(self, name="", onclick_fn=None, onclick_action=None, ticked=False, ticked_fn=None,
                 sub_menu=None, enabled=True, glyph=None, hotkey=None, appear_after=None):
        self.name, self.onclick_fn, self.onclick_action = name, onclick_fn, onclick_action
        self.ticked, self.ticked_fn, self.sub_menu, self.enabled = ticked, ticked_fn, sub_menu, enabled


def add_menu_items(menu_list, name, menu_index=0, can_rebuild_menus=True, delegate=None):
    standin.menus.setdefault(name, []).extend(menu_list)


def remove_menu_items(menu_list, name, can_rebuild_menus=True):
    items = standin.menus.get(name, [])
    for item in menu_list:
        items.remove(item)  # ValueError: removing what was never added
    if not items:
        standin.menus.pop(name, None)


def refresh_menu_items(name):
    pass
