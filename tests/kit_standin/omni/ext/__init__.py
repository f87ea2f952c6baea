"""Stand-in for `omni.ext`."""


class IExt:
    def on_startup(self, ext_id):
        pass

    def on_shutdown(self):
        pass
