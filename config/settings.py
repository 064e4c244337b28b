"""Django settings, read once from environment variables (see .env.example and docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import ConfigError, Env

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789"  # noqa: S105


def read_config(env: Env) -> dict:
    """Parse every variable; problems are collected in ``env.problems`` instead of raised."""
    mode = env.choice("FANCLUB_MODE", ("development", "production", "test"), "development")
    production = mode == "production"
    cfg = {
        "MODE": mode,
        "DEBUG": env.bool("DEBUG", default=mode == "development"),
        "SECRET_KEY": env.str("SECRET_KEY", DEV_SECRET_KEY),
        "ALLOWED_HOSTS": env.list(
            "ALLOWED_HOSTS", [] if production else ["127.0.0.1", "localhost", "[::1]", "testserver"]
        ),
        "CSRF_TRUSTED_ORIGINS": env.list("CSRF_TRUSTED_ORIGINS"),
        "DATA_DIR": Path(env.str("DATA_DIR", str(BASE_DIR / ".data"))).resolve(),
        "DATABASE_URL": env.url("DATABASE_URL", ("postgres", "postgresql")),
        "DATABASE_CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        "REDIS_URL": env.url("REDIS_URL", ("redis", "rediss", "unix")),
        "LOG_LEVEL": env.choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
        "LOG_FORMAT": env.choice("LOG_FORMAT", ("json", "console"), "json"),
        "RATE_LIMIT_ENABLED": env.bool("RATE_LIMIT_ENABLED", default=True),
        "RATE_LIMIT_ANON_PER_MINUTE": env.int("RATE_LIMIT_ANON_PER_MINUTE", 300, minimum=1),
        "RATE_LIMIT_USER_PER_MINUTE": env.int("RATE_LIMIT_USER_PER_MINUTE", 600, minimum=1),
        "TRUSTED_PROXY_COUNT": env.int("TRUSTED_PROXY_COUNT", 0, minimum=0),
        "API_MAX_BODY_BYTES": env.int("API_MAX_BODY_BYTES", 1_048_576, minimum=1024),
        "WS_PUBLIC_PORT": env.int("WS_PUBLIC_PORT", 0, minimum=0),
        "SECURE_SSL_REDIRECT": env.bool("SECURE_SSL_REDIRECT", default=production),
        "HSTS_SECONDS": env.int("HSTS_SECONDS", 31_536_000 if production else 0, minimum=0),
        "EMAIL_URL": env.str("EMAIL_URL", "console://"),
        "DEFAULT_FROM_EMAIL": env.str("DEFAULT_FROM_EMAIL", "Fanclub <noreply@fanclub.localhost>"),
        "WORKER_STALE_SECONDS": env.int("WORKER_STALE_SECONDS", 60, minimum=5),
        "METRICS_TOKEN": env.str("METRICS_TOKEN"),
    }
    if production:
        if cfg["SECRET_KEY"] == DEV_SECRET_KEY or len(cfg["SECRET_KEY"]) < 50:
            env.problems.append("SECRET_KEY: production needs a unique random key of at least 50 characters")
        if cfg["DEBUG"]:
            env.problems.append("DEBUG: must be false in production")
        if not cfg["ALLOWED_HOSTS"]:
            env.problems.append("ALLOWED_HOSTS: production needs the list of host names the site answers to")
    if cfg["EMAIL_URL"].split("://", 1)[0] not in ("console", "smtp", "smtps", "memory"):
        env.problems.append("EMAIL_URL: expected console://, memory://, smtp://... or smtps://...")
    return cfg


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
