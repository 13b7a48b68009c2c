"""Read the deployment's configuration from environment variables.

Every variable the settings use goes through these helpers, so that a bad value
fails at start-up with the variable's name and the value received.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1, 0, true, false."
    )


def env_int(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database_url():
    """Return DATABASE_URL, or the address of the project-local cluster.

    scripts/setup.sh writes var/database_url when it starts the local cluster, so
    that manage.py and pytest find it without exporting anything.
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    local = BASE_DIR / "var" / "database_url"
    if local.exists():
        return local.read_text().strip()
    raise ImproperlyConfigured(
        "Set DATABASE_URL (postgis://user:password@host:port/name) or run "
        "`make setup` to start the project-local PostGIS cluster."
    )
