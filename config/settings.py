"""Django settings, read once from environment variables (see .env.example and docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import ConfigError, Env
from config.options import BASE_DIR, read_config

_env = Env()
CONFIG = read_config(_env)
if _env.problems:
    raise ConfigError(_env.problems)

MODE: str = CONFIG["MODE"]
DEBUG: bool = CONFIG["DEBUG"]
SECRET_KEY: str = CONFIG["SECRET_KEY"]
ALLOWED_HOSTS: list[str] = CONFIG["ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS: list[str] = CONFIG["CSRF_TRUSTED_ORIGINS"]
DATA_DIR: Path = CONFIG["DATA_DIR"]
REDIS_URL: str = CONFIG["REDIS_URL"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "csp",
    "ninja",
    "template_partials",
    "procrastinate.contrib.django",
    "fanclub.core",
    "fanclub.accounts",
]

MIDDLEWARE = [
    "fanclub.core.middleware.RequestIdMiddleware",
    "fanclub.core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fanclub.core.middleware.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fanclub" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fanclub.core.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
if CONFIG["DATABASE_URL"]:
    DATABASES = {
        "default": dj_database_url.parse(
            CONFIG["DATABASE_URL"], conn_max_age=CONFIG["DATABASE_CONN_MAX_AGE"], conn_health_checks=True
        )
    }
    EMBEDDED_DATABASE = False
else:
    from fanclub.core.dbserver import DATABASE_NAME, ensure_embedded_server

    _server = ensure_embedded_server(DATA_DIR)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DATABASE_NAME,
            "USER": _server.user,
            "HOST": _server.socket_dir,
            "PORT": str(_server.port),
            "CONN_MAX_AGE": CONFIG["DATABASE_CONN_MAX_AGE"],
            "CONN_HEALTH_CHECKS": True,
        }
    }
    EMBEDDED_DATABASE = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer (Redis when configured, in-process otherwise) --------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Auth and sessions ---------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security headers ----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = CONFIG["SECURE_SSL_REDIRECT"]
SECURE_HSTS_SECONDS = CONFIG["HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if MODE == "production":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Request limits ------------------------------------------------------------------------------
API_MAX_BODY_BYTES: int = CONFIG["API_MAX_BODY_BYTES"]
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
RATE_LIMIT_ENABLED: bool = CONFIG["RATE_LIMIT_ENABLED"]
RATE_LIMIT_ANON_PER_MINUTE: int = CONFIG["RATE_LIMIT_ANON_PER_MINUTE"]
RATE_LIMIT_USER_PER_MINUTE: int = CONFIG["RATE_LIMIT_USER_PER_MINUTE"]
TRUSTED_PROXY_COUNT: int = CONFIG["TRUSTED_PROXY_COUNT"]

# --- WebSockets ----------------------------------------------------------------------------------
# Public port of the ASGI (WebSocket) server when it is not behind the same origin as the pages;
# 0 means "same origin, /ws/ routed by the reverse proxy".
WS_PUBLIC_PORT: int = CONFIG["WS_PUBLIC_PORT"]

# --- Email ---------------------------------------------------------------------------------------
_email_scheme = CONFIG["EMAIL_URL"].split("://", 1)[0]
DEFAULT_FROM_EMAIL = CONFIG["DEFAULT_FROM_EMAIL"]
if _email_scheme == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _email_scheme == "memory":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(CONFIG["EMAIL_URL"])
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email_scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email_scheme == "smtps"
    EMAIL_USE_TLS = _email_scheme == "smtp" and EMAIL_PORT == 587

# --- Jobs ----------------------------------------------------------------------------------------
PROCRASTINATE_WORKER_DEFAULTS = {"update_heartbeat_interval": 10, "stalled_worker_timeout": 30}
WORKER_STALE_SECONDS: int = CONFIG["WORKER_STALE_SECONDS"]
METRICS_TOKEN: str = CONFIG["METRICS_TOKEN"]

# --- Logging -------------------------------------------------------------------------------------
from fanclub.core.logging import build_logging_config  # noqa: E402

LOGGING = build_logging_config(level=CONFIG["LOG_LEVEL"], fmt=CONFIG["LOG_FORMAT"])
