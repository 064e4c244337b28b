"""Django settings, read once from environment variables (see .env.example and docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    "django.contrib.humanize",  # allauth's passkey list template loads it
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "channels_postgres",
    "csp",
    "ninja",
    "template_partials",
    "procrastinate.contrib.django",
    "fanclub.core",
    "fanclub.accounts",
    "fanclub.media",
    "fanclub.creators",
    "fanclub.social",
    "fanclub.feeds",
    "fanclub.content",
    "fanclub.billing",
    "fanclub.search",
    "fanclub.community",
    "fanclub.messaging",
    "fanclub.notifications",
    "fanclub.moderation",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",  # offered only when configured: see below
    "allauth.socialaccount.providers.twitter_oauth2",
]

MIDDLEWARE = [
    # Request id, metrics + access log, API error shape and the CSP header, in one layer.
    "fanclub.core.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "fanclub.core.middleware.RateLimitMiddleware",
    "fanclub.core.middleware.LazyMessageMiddleware",
    "fanclub.accounts.middleware.DeviceSessionMiddleware",
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
                "fanclub.notifications.context_processors.unread",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
# Django's PostgreSQL backend whose health check of a reused connection costs no round trip.
DATABASE_ENGINE = "fanclub.core.dbbackend"
if CONFIG["DATABASE_URL"]:
    DATABASES = {
        "default": dj_database_url.parse(
            CONFIG["DATABASE_URL"],
            engine=DATABASE_ENGINE,
            conn_max_age=CONFIG["DATABASE_CONN_MAX_AGE"],
            conn_health_checks=True,
        )
    }
    EMBEDDED_DATABASE = False
else:
    from fanclub.core.dbserver import DATABASE_NAME, ensure_embedded_server

    _server = ensure_embedded_server(DATA_DIR)
    DATABASES = {
        "default": {
            "ENGINE": DATABASE_ENGINE,
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
        # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s channels_redis blocks
        # in BZPOPMIN: an idle socket's receive loop then dies with TimeoutError. Read longer.
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Without Redis, WebSocket events still cross processes (gunicorn, uvicorn and the worker all
    # publish) through PostgreSQL LISTEN/NOTIFY.
    CHANNEL_LAYERS = {
        # Channels builds a layer from "CONFIG" only: without it the layer failed to build and
        # get_channel_layer() returned None, silently dropping every live event.
        "default": {
            "BACKEND": "channels_postgres.core.PostgresChannelLayer",
            # A full connection dict (the defaults Django fills in for DATABASES entries).
            "CONFIG": {
                **{"USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "OPTIONS": {}, "TIME_ZONE": None},
                **{"ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "CONN_HEALTH_CHECKS": False},
                **DATABASES["default"],
            },
        }
    }
    # channels_postgres uses the ORM under this alias for group bookkeeping: the same database.
    DATABASES["channels_postgres"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

# --- Auth and sessions ---------------------------------------------------------------------------
# Argon2id (Django's Argon2PasswordHasher is Argon2id). Parameters: see docs/architecture.md and the
# sign-in benchmark; defaults are OWASP's first recommendation (19 MiB, t=2, p=1), which keeps a
# sign-in near 30 ms on one core and memory bounded when many sign-ins arrive at once.
PASSWORD_HASHERS = [
    "fanclub.accounts.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
ARGON2_TIME_COST: int = CONFIG["ARGON2_TIME_COST"]
ARGON2_MEMORY_KIB: int = CONFIG["ARGON2_MEMORY_KIB"]
ARGON2_PARALLELISM: int = CONFIG["ARGON2_PARALLELISM"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "fanclub.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 1024}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fanclub.accounts.validators.BreachedPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 86400
CSRF_COOKIE_SAMESITE = "Lax"

# django-allauth: email sign-in, mandatory verification, handle as the "username" field.
ACCOUNT_ADAPTER = "fanclub.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "fanclub.accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = "handle"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Fanclub] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if MODE == "production" else "http"
# One rate-limiting mechanism: fanclub.core.ratelimit (per-route limits plus the sign-in failure
# counters in fanclub.accounts.throttle). allauth's own limits are off.
ACCOUNT_RATE_LIMITS = False
MFA_ADAPTER = "fanclub.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_RECOVERY_CODE_COUNT = 10
MFA_TOTP_ISSUER = "Fanclub"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = MODE != "production"
SOCIALACCOUNT_ADAPTER = "fanclub.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "fanclub.accounts.forms.SocialSignupForm"}
SOCIALACCOUNT_AUTO_SIGNUP = False  # the age gate needs a date of birth: always show the form
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Google and X are always installed (their URLs exist) but a provider is offered only when its
# credentials are set: SocialAccountAdapter lists apps from these "APPS" at request time, hides the
# buttons and answers 404 on the provider URLs otherwise.
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {
    "google": {
        "APPS": [],
        "SCOPE": ["openid", "email", "profile"],
        "OAUTH_PKCE_ENABLED": True,
    },
    "twitter_oauth2": {"APPS": [], "OAUTH_PKCE_ENABLED": True},
}
if CONFIG["OAUTH_GOOGLE_CLIENT_ID"]:
    SOCIALACCOUNT_PROVIDERS["google"]["APPS"] = [
        {"client_id": CONFIG["OAUTH_GOOGLE_CLIENT_ID"], "secret": CONFIG["OAUTH_GOOGLE_CLIENT_SECRET"]}
    ]
if CONFIG["OAUTH_X_CLIENT_ID"]:
    SOCIALACCOUNT_PROVIDERS["twitter_oauth2"]["APPS"] = [
        {"client_id": CONFIG["OAUTH_X_CLIENT_ID"], "secret": CONFIG["OAUTH_X_CLIENT_SECRET"]}
    ]

# API tokens: HS256 JWT access tokens bound to a device session, opaque rotating refresh tokens.
JWT_SIGNING_KEY: str = CONFIG["JWT_SIGNING_KEY"]
ACCESS_TOKEN_TTL_SECONDS: int = CONFIG["ACCESS_TOKEN_TTL_SECONDS"]
REFRESH_TOKEN_TTL_SECONDS: int = CONFIG["REFRESH_TOKEN_TTL_SECONDS"]
# Sign-in failure counters (fanclub.accounts.throttle): slow down, then block; a success resets.
LOGIN_FAILURES_SLOWDOWN = (5, 60)  # 5 failures a minute for one account: wait before the next try
LOGIN_FAILURES_BLOCK = (10, 900)  # 10 failures in 15 minutes for one account: blocked
LOGIN_FAILURES_IP_BLOCK = (50, 900)  # 50 failures in 15 minutes from one IP (or IPv6 /64): blocked

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(CONFIG["STATIC_ROOT"]) if CONFIG["STATIC_ROOT"] else DATA_DIR / "staticfiles"
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

# Media (fanclub.media): private storage, never served by the static handler; delivery only through
# the signed, viewer-bound URLs of fanclub.media.views.deliver.
MEDIA_STORAGE: str = CONFIG["MEDIA_STORAGE"]
MEDIA_STORAGE_ENV: str = CONFIG["MEDIA_STORAGE_ENV"]
S3_BUCKET: str = CONFIG["S3_BUCKET"]
S3_ENDPOINT_URL: str = CONFIG["S3_ENDPOINT_URL"]
S3_REGION: str = CONFIG["S3_REGION"]
S3_ACCESS_KEY_ID: str = CONFIG["S3_ACCESS_KEY_ID"]
S3_SECRET_ACCESS_KEY: str = CONFIG["S3_SECRET_ACCESS_KEY"]
S3_ADDRESSING_STYLE: str = CONFIG["S3_ADDRESSING_STYLE"]
MEDIA_URL_TTL_SECONDS: int = CONFIG["MEDIA_URL_TTL_SECONDS"]
MEDIA_MAX_IMAGE_BYTES: int = CONFIG["MEDIA_MAX_IMAGE_BYTES"]
MEDIA_MAX_IMAGE_PIXELS: int = CONFIG["MEDIA_MAX_IMAGE_PIXELS"]
MEDIA_MAX_VIDEO_BYTES: int = CONFIG["MEDIA_MAX_VIDEO_BYTES"]
MEDIA_MAX_VIDEO_SECONDS: int = CONFIG["MEDIA_MAX_VIDEO_SECONDS"]
MEDIA_MAX_AUDIO_BYTES: int = CONFIG["MEDIA_MAX_AUDIO_BYTES"]
MEDIA_UPLOAD_CHUNK_BYTES: int = CONFIG["MEDIA_UPLOAD_CHUNK_BYTES"]
MEDIA_UPLOAD_TTL_SECONDS: int = CONFIG["MEDIA_UPLOAD_TTL_SECONDS"]
MEDIA_FFMPEG_TIMEOUT_SECONDS: int = CONFIG["MEDIA_FFMPEG_TIMEOUT_SECONDS"]
MEDIA_FFMPEG_MEMORY_MB: int = CONFIG["MEDIA_FFMPEG_MEMORY_MB"]

# Billing (fanclub.billing, docs/billing.md): processor, fee, hold, bounds, webhook secrets.
BILLING_PROCESSOR: str = CONFIG["BILLING_PROCESSOR"]
BILLING_PLATFORM_FEE_BPS: int = CONFIG["BILLING_PLATFORM_FEE_BPS"]
BILLING_HOLD_DAYS: int = CONFIG["BILLING_HOLD_DAYS"]
BILLING_MIN_CHARGE_MINOR: int = CONFIG["BILLING_MIN_CHARGE_MINOR"]
BILLING_MIN_PAYOUT_MINOR: int = CONFIG["BILLING_MIN_PAYOUT_MINOR"]
MESSAGING_PER_MINUTE: int = CONFIG["MESSAGING_PER_MINUTE"]
MESSAGING_NEW_ACCOUNT_PER_MINUTE: int = CONFIG["MESSAGING_NEW_ACCOUNT_PER_MINUTE"]
MESSAGING_NEW_ACCOUNT_DAYS: int = CONFIG["MESSAGING_NEW_ACCOUNT_DAYS"]
BILLING_SANDBOX_WEBHOOK_SECRET: str = CONFIG["BILLING_SANDBOX_WEBHOOK_SECRET"]
BILLING_WEBHOOK_TOLERANCE_SECONDS: int = CONFIG["BILLING_WEBHOOK_TOLERANCE_SECONDS"]
STRIPE_SECRET_KEY: str = CONFIG["STRIPE_SECRET_KEY"]
STRIPE_WEBHOOK_SECRET: str = CONFIG["STRIPE_WEBHOOK_SECRET"]
STRIPE_API_BASE: str = CONFIG["STRIPE_API_BASE"]
CCBILL_API_BASE: str = CONFIG["CCBILL_API_BASE"]
CCBILL_CLIENT_ACCNUM: str = CONFIG["CCBILL_CLIENT_ACCNUM"]
CCBILL_CLIENT_SUBACC: str = CONFIG["CCBILL_CLIENT_SUBACC"]
CCBILL_SALT: str = CONFIG["CCBILL_SALT"]
CCBILL_API_CLIENT_ID: str = CONFIG["CCBILL_API_CLIENT_ID"]
CCBILL_API_CLIENT_SECRET: str = CONFIG["CCBILL_API_CLIENT_SECRET"]
CCBILL_WEBHOOK_ALLOWED_IPS: str = CONFIG["CCBILL_WEBHOOK_ALLOWED_IPS"]

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
elif _email_scheme == "anymail":  # django-anymail: an email service provider's HTTP API
    EMAIL_BACKEND = f"anymail.backends.{CONFIG['EMAIL_ANYMAIL_ESP']}.EmailBackend"
    # ESP credentials from EMAIL_URL, plus the tracking webhook's WEBHOOK_SECRET and signing key.
    ANYMAIL: dict[str, Any] = CONFIG["EMAIL_ANYMAIL"]
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

# The ESP whose delivery-status webhook is mounted at /hooks/email/<esp>/tracking/ ("" = none).
EMAIL_TRACKING_ESP: str = CONFIG["EMAIL_TRACKING_ESP"]

# --- Community rankings (fanclub.community; docs/rankings.md) --------------------------------------
RANKING_WEIGHT_VOTE: float = CONFIG["RANKING_WEIGHT_VOTE"]
RANKING_WEIGHT_LIKE: float = CONFIG["RANKING_WEIGHT_LIKE"]
RANKING_WEIGHT_COMMENT: float = CONFIG["RANKING_WEIGHT_COMMENT"]
RANKING_WEIGHT_TIP: float = CONFIG["RANKING_WEIGHT_TIP"]
RANKING_HOT_DECAY_SECONDS: int = CONFIG["RANKING_HOT_DECAY_SECONDS"]
RANKING_TRENDING_DAYS: int = CONFIG["RANKING_TRENDING_DAYS"]
RANKING_CACHE_SECONDS: int = CONFIG["RANKING_CACHE_SECONDS"]

# --- Home feed (fanclub.feeds; docs/architecture.md "Home feed") ---------------------------------------
FEEDS_CACHE_SECONDS: int = CONFIG["FEEDS_CACHE_SECONDS"]

# --- Notifications (fanclub.notifications; docs/notifications.md) ----------------------------------
SITE_URL: str = CONFIG["SITE_URL"]  # absolute links in emails (unsubscribe, digest)
VAPID_PUBLIC_KEY: str = CONFIG["VAPID_PUBLIC_KEY"]
VAPID_PRIVATE_KEY: str = CONFIG["VAPID_PRIVATE_KEY"]
VAPID_SUBJECT: str = CONFIG["VAPID_SUBJECT"]

# --- Jobs ----------------------------------------------------------------------------------------
PROCRASTINATE_WORKER_DEFAULTS = {"update_heartbeat_interval": 10, "stalled_worker_timeout": 30}
WORKER_STALE_SECONDS: int = CONFIG["WORKER_STALE_SECONDS"]
METRICS_TOKEN: str = CONFIG["METRICS_TOKEN"]

# --- Logging -------------------------------------------------------------------------------------
from fanclub.core.logging import build_logging_config  # noqa: E402

LOGGING = build_logging_config(level=CONFIG["LOG_LEVEL"], fmt=CONFIG["LOG_FORMAT"])
