"""Settings shared by every environment; dev, test and production extend them."""

from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from geo_mediation.env import (
    BASE_DIR,
    database_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    # django.contrib.admin, with a site open to superusers and role admins only.
    "accounts.apps.RoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "axes",
    "csp",
    "accounts",
    "territories",
    "interventions",
    "layers",
    "layers.reports",
    "layers.exports",
]

MIDDLEWARE = [
    "geo_mediation.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "accounts.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geo_mediation.urls"
WSGI_APPLICATION = "geo_mediation.wsgi.application"
ASGI_APPLICATION = "geo_mediation.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geo_mediation" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geo_mediation.context_processors.site",
            ],
        },
    },
]

# --- database --------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        database_url(), engine="django.contrib.gis.db.backends.postgis"
    )
}
# A second connection to the same database for the database cache; see
# geo_mediation.routers.CacheRouter. Tests use the default connection's database.
DATABASES["cache"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["geo_mediation.routers.CacheRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- geography -------------------------------------------------------------

# Projected CRS in which geometries are stored, so that areas, buffers, grid
# cells and kernel bandwidths are in metres. Changing it after the first
# migration needs a data migration.
WORKING_SRID = env_int("WORKING_SRID", 2154)

# Base-map tiles for every Leaflet map. Pages keep working without them.
BASEMAP_TILE_URL = env_str(
    "BASEMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
BASEMAP_ATTRIBUTION = env_str(
    "BASEMAP_ATTRIBUTION", "&copy; OpenStreetMap contributors"
)

LEAFLET_CONFIG = {
    "TILES": [(_("Base map"), BASEMAP_TILE_URL, {"attribution": BASEMAP_ATTRIBUTION})],
    "DEFAULT_CENTER": (48.8566, 2.3522),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
}

# Figures under this threshold are shown as "< N" to client viewers.
SMALL_COUNT_THRESHOLD = env_int("SMALL_COUNT_THRESHOLD", 5)

# Largest upload accepted by the territory import, in bytes, and the largest
# total size an uploaded archive may expand to.
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 200 * 1024 * 1024)
MAX_ARCHIVE_EXPANDED_SIZE = env_int("MAX_ARCHIVE_EXPANDED_SIZE", 1024 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Folder of the open data used by `manage.py load_demo`.
DEMO_DATA_DIR = env_str("DEMO_DATA_DIR", str(BASE_DIR.parent / "shared" / "data"))

# Folder for generated files: density rasters, exports in progress.
VAR_DIR = BASE_DIR / "var"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

# --- authentication --------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes: lock a username and address pair after repeated failed logins.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The login page (or a JSON error on the API) with a French message, status 429.
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"

# --- API -------------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first, so that a request without valid credentials gets 401 with a
    # WWW-Authenticate header rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The same classes as DRF's, reading the rates below at request time.
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttles.AnonRateThrottle",
        "accounts.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
        # POST /api/token/, per client address.
        "token": env_str("API_THROTTLE_TOKEN", "10/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "geo_mediation API",
    "DESCRIPTION": "Field entries, territories, map layers and exports.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Redoc from the sidecar package's static files, not from a CDN.
    "REDOC_DIST": "SIDECAR",
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "geo_mediation_cache",
    }
}

# --- internationalisation --------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "geo_mediation" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_TZ = True

# --- static files ----------------------------------------------------------

STATIC_URL = "/static/"
# The project package is not an app, so its own static folder is listed here.
STATICFILES_DIRS = [BASE_DIR / "geo_mediation" / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- security --------------------------------------------------------------

_tile_origin = "{0.scheme}://{0.hostname}".format(urlsplit(BASEMAP_TILE_URL.replace("{s}", "a")))
_tile_hosts = [_tile_origin]
if "{s}" in BASEMAP_TILE_URL:
    _tile_hosts = [_tile_origin.replace("://a.", f"://{s}.") for s in "abc"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Leaflet positions tiles and markers with inline style attributes.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *_tile_hosts],
        "connect-src": [SELF],
        "font-src": [SELF],
        # Redoc, on the API documentation page, starts its search worker from a blob.
        "worker-src": [SELF, "blob:"],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_HTTPONLY = True

# --- logging ---------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "geo_mediation.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "fiona": {"level": "WARNING"},
        "rasterio": {"level": "WARNING"},
        "matplotlib": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
}

# Uploaded GIS files are read with pyogrio's bundled GDAL, never with the system
# GDAL that Django loads, so the warning about the system GDAL's age (it cannot
# block file and network access before 3.9) does not apply.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Folder of the files written by exports. It is never served as static or media:
# downloads go through a view that checks who asked for the export.
EXPORT_DIR = env_str("EXPORT_DIR", str(VAR_DIR / "exports"))
