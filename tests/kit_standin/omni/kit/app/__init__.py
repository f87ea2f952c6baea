"""Stand-in for `omni.kit.app`: an app whose update is one loop iteration."""
import asyncio

import standin


class _ExtensionManager:
    def get_extension_path(self, ext_id):
        return str(standin.HERE.parents[1] / "exts" / "omni.regolith")


class _App:
    updates = 0

    async def next_update_async(self):
        _App.updates += 1
        await asyncio.sleep(1 / 120)  # an app update, faster than real time

    def get_extension_manager(self):
        return _ExtensionManager()


def get_app():
    return _App()

