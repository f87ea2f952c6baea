"""Stand-in for `omni.kit.actions.core`: actions recorded in `standin.actions`.

Names and arguments as Isaac Sim 6.2 calls them: `get_action_registry().register_action(ext_id,
action_id, fn, description=...)`, `deregister_action(ext_id, action_id)` (isaacsim.examples.browser
extension.py), `deregister_all_actions_for_extension(ext_id)` and
`omni.kit.actions.core.execute_action(ext_id, action_id)` (isaacsim.gui.menu)."""
import standin


class _Registry:
    def register_action(self, extension_id, action_id, fn, display_name="", description="", tag=""):
        key = (extension_id, action_id)
        if key in standin.actions:
            raise KeyError(f"action {key} registered twice")
        standin.actions[key] = fn

    def deregister_action(self, extension_id, action_id):
        standin.actions.pop((extension_id, action_id), None)

    def deregister_all_actions_for_extension(self, extension_id):
        for key in [k for k in standin.actions if k[0] == extension_id]:
            del standin.actions[key]

    def get_action(self, extension_id, action_id):
        return standin.actions.get((extension_id, action_id))


def get_action_registry():
    return _Registry()


def execute_action(extension_id, action_id, *args, **kwargs):
    return standin.actions[(extension_id, action_id)](*args, **kwargs)
