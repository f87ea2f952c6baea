"""Stand-in for `carb.settings`: paths read from `standin.settings`."""
import standin


class _Settings:
    def get(self, path):
        return standin.settings.get(path)

    def set(self, path, value):
        standin.settings[path] = value


def get_settings():
    return _Settings()
