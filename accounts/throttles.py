"""DRF throttles whose rates are read at request time.

DRF's own classes copy DEFAULT_THROTTLE_RATES when they are imported, so a
test or a settings override made later would not reach them.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class SettingsRatesMixin:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 (the name DRF reads)
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonRateThrottle(SettingsRatesMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(SettingsRatesMixin, throttling.UserRateThrottle):
    pass


class TokenRateThrottle(SettingsRatesMixin, throttling.SimpleRateThrottle):
    """Requests for an API token, per client address, logged in or not."""

    scope = "token"

    def get_cache_key(self, request, view):
        ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
