"""Settings for a developer's machine and `make demo`."""

from geo_mediation.env import env_bool

from .base import *  # noqa: F401,F403

DEBUG = env_bool("DEBUG", True)

# Serve static files straight from the apps' folders, without collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
