"""Every environment variable the platform reads, parsed strictly in one place (no side effects).

Used by the settings module and by `fanclub check`, which reports every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from config.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789"  # noqa: S105


def _weight(env: Env, name: str, default: float) -> float:
    """A non-negative decimal number (ranking weights)."""
    raw = env.str(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 and value < 1e6):
        env.problems.append(f"{name}: expected a number between 0 and 1000000, got {raw!r}")
        return default
    return value


# EMAIL_URL=anymail://<esp>?<SETTING>=<value>&... -> anymail.backends.<esp>.EmailBackend with
# ANYMAIL = {"<ESP>_<SETTING>": value}. Per ESP: (settings anymail requires, optional text settings),
# read from each backend's get_anymail_setting() calls (django-anymail 15; a test instantiates every
# backend with exactly the required ones and with each one missing). Boolean and dict settings
# (e.g. POSTMARK_USE_BULK_API, AMAZON_SES_SESSION_PARAMS) cannot be given through the URL.
ANYMAIL_ESPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "amazon_ses": ((), ("CONFIGURATION_SET_NAME", "MESSAGE_TAG_NAME")),  # credentials: AWS env/role
    "brevo": (("API_KEY",), ("API_URL",)),
    "mailersend": (("API_TOKEN",), ("API_URL", "BATCH_SEND_MODE")),
    "mailgun": (("API_KEY",), ("SENDER_DOMAIN", "API_URL")),
    "mailjet": (("API_KEY", "SECRET_KEY"), ("API_URL",)),
    "mailtrap": (("API_TOKEN",), ("SANDBOX_ID", "API_URL")),
    "mandrill": (("API_KEY",), ("API_URL",)),
    "postal": (("API_KEY", "API_URL"), ()),
    "postmark": (("SERVER_TOKEN",), ("MESSAGE_STREAM", "API_URL")),
    "resend": (("API_KEY",), ("API_URL",)),
    "scaleway": (("SECRET_KEY", "PROJECT_ID"), ("REGION", "API_URL")),
    "sendgrid": (("API_KEY",), ("MERGE_FIELD_FORMAT", "API_URL")),
    "sparkpost": (("API_KEY",), ("SUBACCOUNT", "API_URL")),
    "unisender_go": (("API_KEY", "API_URL"), ()),
    "test": ((), ()),  # anymail's in-memory test backend (tests only; sends nothing)
}


# Delivery-status (tracking) webhooks, mounted at /hooks/email/<esp>/tracking/ for the configured ESP
# (fanclub.notifications.webhooks). Per ESP: (anymail's tracking view in anymail.webhooks.<esp>,
# the ANYMAIL setting EMAIL_WEBHOOK_SIGNING_KEY fills or "" when the ESP signs nothing, and whether
# anymail cannot check the webhook without that key). Every webhook also takes basic auth from
# EMAIL_WEBHOOK_SECRET (ANYMAIL["WEBHOOK_SECRET"]). anymail://test and scaleway have no webhook.
ANYMAIL_TRACKING_WEBHOOKS: dict[str, tuple[str, str, bool]] = {
    "amazon_ses": ("AmazonSESTrackingWebhookView", "", False),  # SNS; basic auth in the subscription URL
    "brevo": ("BrevoTrackingWebhookView", "", False),
    "mailersend": ("MailerSendTrackingWebhookView", "SIGNING_SECRET", True),
    "mailgun": ("MailgunTrackingWebhookView", "WEBHOOK_SIGNING_KEY", True),
    "mailjet": ("MailjetTrackingWebhookView", "", False),
    "mailtrap": ("MailtrapTrackingWebhookView", "TRACKING_SECRET", False),
    "mandrill": ("MandrillCombinedWebhookView", "WEBHOOK_KEY", True),
    "postal": ("PostalTrackingWebhookView", "WEBHOOK_KEY", True),
    "postmark": ("PostmarkTrackingWebhookView", "", False),
    "resend": ("ResendTrackingWebhookView", "SIGNING_SECRET", False),
    "sendgrid": ("SendGridTrackingWebhookView", "TRACKING_WEBHOOK_VERIFICATION_KEY", False),
    "sparkpost": ("SparkPostTrackingWebhookView", "", False),
    "unisender_go": ("UnisenderGoTrackingWebhookView", "", False),  # signed with the API key
}
EMAIL_WEBHOOK_SECRET_MIN_PASSWORD = 16


def email_webhook_secret_parse(raw: str) -> tuple[list[str], list[str]]:
    """``user:password[,user:password...]`` (more than one while rotating) -> (secrets, problems)."""
    secrets: list[str] = []
    problems: list[str] = []
    for item in (part.strip() for part in raw.split(",")) if raw else []:
        user, sep, password = item.partition(":")
        if not sep or not user or not password or any(ch.isspace() for ch in item):
            problems.append("EMAIL_WEBHOOK_SECRET: expected user:password (comma-separated while rotating)")
        else:
            secrets.append(item)
    return secrets, problems


def anymail_url_parse(url: str) -> tuple[str, dict[str, str], list[str]]:
    """``anymail://<esp>?<SETTING>=<value>&...`` -> (esp, ANYMAIL settings, problems).

    Values are percent-decoded (``+`` stays a plus sign: API keys may contain one); setting names
    are case-insensitive. Unknown ESPs and settings, repeated or empty settings and missing
    required credentials are problems.
    """
    rest = url.removeprefix("anymail://")
    esp, _, query = rest.partition("?")
    if esp not in ANYMAIL_ESPS:
        shown = (
            repr(esp) if esp.isidentifier() or not esp else "(not a name; credentials go in the query)"
        )  # no secrets
        return esp, {}, [f"EMAIL_URL: unknown anymail ESP {shown}; expected one of {', '.join(ANYMAIL_ESPS)}"]
    required, optional = ANYMAIL_ESPS[esp]
    prefix = esp.upper()
    settings: dict[str, str] = {}
    given: set[str] = set()
    problems: list[str] = []
    for pair in query.split("&") if query else []:
        name, sep, raw = pair.partition("=")
        name = unquote(name).upper()
        value = unquote(raw)
        if name not in required + optional:
            accepted = ", ".join(required + optional) or "no settings"
            problems.append(f"EMAIL_URL: anymail://{esp} does not take {name or pair!r} (accepts {accepted})")
        elif name in given:
            problems.append(f"EMAIL_URL: {name} is given twice")
        elif not sep or not value:
            problems.append(f"EMAIL_URL: {name} is empty")
        else:
            settings[f"{prefix}_{name}"] = value
        given.add(name)
    missing = [name for name in required if name not in given]
    if missing:
        problems.append(
            f"EMAIL_URL: anymail://{esp} needs {', '.join(missing)} (e.g. anymail://{esp}?{missing[0]}=...)"
        )
    return esp, settings, problems


def read_config(env: Env) -> dict[str, Any]:
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
        "STATIC_ROOT": env.str("STATIC_ROOT"),
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
        # The ESP's delivery-status webhook (anymail ESPs only; docs/notifications.md).
        "EMAIL_WEBHOOK_SECRET": env.str("EMAIL_WEBHOOK_SECRET"),
        "EMAIL_WEBHOOK_SIGNING_KEY": env.str("EMAIL_WEBHOOK_SIGNING_KEY"),
        "WORKER_STALE_SECONDS": env.int("WORKER_STALE_SECONDS", 60, minimum=5),
        "METRICS_TOKEN": env.str("METRICS_TOKEN"),
        # Accounts: OAuth providers are offered only when both their id and secret are set.
        "OAUTH_GOOGLE_CLIENT_ID": env.str("OAUTH_GOOGLE_CLIENT_ID"),
        "OAUTH_GOOGLE_CLIENT_SECRET": env.str("OAUTH_GOOGLE_CLIENT_SECRET"),
        "OAUTH_X_CLIENT_ID": env.str("OAUTH_X_CLIENT_ID"),
        "OAUTH_X_CLIENT_SECRET": env.str("OAUTH_X_CLIENT_SECRET"),
        "JWT_SIGNING_KEY": env.str("JWT_SIGNING_KEY"),
        "ACCESS_TOKEN_TTL_SECONDS": env.int("ACCESS_TOKEN_TTL_SECONDS", 900, minimum=60),
        "REFRESH_TOKEN_TTL_SECONDS": env.int("REFRESH_TOKEN_TTL_SECONDS", 7 * 86400, minimum=300),
        "ARGON2_TIME_COST": env.int("ARGON2_TIME_COST", 2, minimum=1),
        "ARGON2_MEMORY_KIB": env.int("ARGON2_MEMORY_KIB", 19_456, minimum=8192),
        "ARGON2_PARALLELISM": env.int("ARGON2_PARALLELISM", 1, minimum=1),
        # Media: storage backend, delivery and upload limits (fanclub.media).
        "MEDIA_STORAGE": env.choice("MEDIA_STORAGE", ("local", "s3"), "local"),
        "MEDIA_STORAGE_ENV": env.str("MEDIA_STORAGE_ENV", mode),
        "S3_BUCKET": env.str("S3_BUCKET"),
        "S3_ENDPOINT_URL": env.url("S3_ENDPOINT_URL", ("http", "https")),
        "S3_REGION": env.str("S3_REGION", "us-east-1"),
        "S3_ACCESS_KEY_ID": env.str("S3_ACCESS_KEY_ID"),
        "S3_SECRET_ACCESS_KEY": env.str("S3_SECRET_ACCESS_KEY"),
        "S3_ADDRESSING_STYLE": env.choice("S3_ADDRESSING_STYLE", ("path", "virtual"), "path"),
        "MEDIA_URL_TTL_SECONDS": env.int("MEDIA_URL_TTL_SECONDS", 300, minimum=10),
        "MEDIA_MAX_IMAGE_BYTES": env.int("MEDIA_MAX_IMAGE_BYTES", 50 * 1024 * 1024, minimum=1024),
        "MEDIA_MAX_IMAGE_PIXELS": env.int("MEDIA_MAX_IMAGE_PIXELS", 100_000_000, minimum=10_000),
        "MEDIA_MAX_VIDEO_BYTES": env.int("MEDIA_MAX_VIDEO_BYTES", 4 * 1024**3, minimum=1024),
        "MEDIA_MAX_VIDEO_SECONDS": env.int("MEDIA_MAX_VIDEO_SECONDS", 3 * 3600, minimum=1),
        "MEDIA_MAX_AUDIO_BYTES": env.int("MEDIA_MAX_AUDIO_BYTES", 500 * 1024 * 1024, minimum=1024),
        "MEDIA_UPLOAD_CHUNK_BYTES": env.int("MEDIA_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024, minimum=64 * 1024),
        "MEDIA_UPLOAD_TTL_SECONDS": env.int("MEDIA_UPLOAD_TTL_SECONDS", 86400, minimum=60),
        "MEDIA_FFMPEG_TIMEOUT_SECONDS": env.int("MEDIA_FFMPEG_TIMEOUT_SECONDS", 3600, minimum=5),
        "MEDIA_FFMPEG_MEMORY_MB": env.int("MEDIA_FFMPEG_MEMORY_MB", 4096, minimum=256),
        # Billing (fanclub.billing): see docs/billing.md.
        "BILLING_PROCESSOR": env.choice("BILLING_PROCESSOR", ("sandbox", "stripe", "ccbill"), "sandbox"),
        "BILLING_PLATFORM_FEE_BPS": env.int("BILLING_PLATFORM_FEE_BPS", 2000, minimum=0),
        "BILLING_HOLD_DAYS": env.int("BILLING_HOLD_DAYS", 7, minimum=0),
        "BILLING_MIN_CHARGE_MINOR": env.int("BILLING_MIN_CHARGE_MINOR", 100, minimum=1),
        "BILLING_MIN_PAYOUT_MINOR": env.int("BILLING_MIN_PAYOUT_MINOR", 2000, minimum=1),
        "BILLING_SANDBOX_WEBHOOK_SECRET": env.str(
            "BILLING_SANDBOX_WEBHOOK_SECRET", "whsec_sandbox_development_only_0123456789"
        ),
        "BILLING_WEBHOOK_TOLERANCE_SECONDS": env.int("BILLING_WEBHOOK_TOLERANCE_SECONDS", 300, minimum=10),
        "STRIPE_SECRET_KEY": env.str("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": env.str("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": env.url("STRIPE_API_BASE", ("https", "http")) or "https://api.stripe.com",
        "CCBILL_CLIENT_ACCNUM": env.str("CCBILL_CLIENT_ACCNUM"),
        "CCBILL_CLIENT_SUBACC": env.str("CCBILL_CLIENT_SUBACC"),
        "CCBILL_SALT": env.str("CCBILL_SALT"),
        "CCBILL_API_CLIENT_ID": env.str("CCBILL_API_CLIENT_ID"),
        "CCBILL_API_CLIENT_SECRET": env.str("CCBILL_API_CLIENT_SECRET"),
        "CCBILL_API_BASE": env.url("CCBILL_API_BASE", ("https", "http")) or "https://api.ccbill.com",
        "CCBILL_WEBHOOK_ALLOWED_IPS": env.str(
            "CCBILL_WEBHOOK_ALLOWED_IPS", "64.38.240.0/24,64.38.241.0/24,64.38.212.0/24,64.38.215.0/24"
        ),
        # Messaging (fanclub.messaging): sends per sender per minute; stricter for young accounts.
        "MESSAGING_PER_MINUTE": env.int("MESSAGING_PER_MINUTE", 30, minimum=1),
        "MESSAGING_NEW_ACCOUNT_PER_MINUTE": env.int("MESSAGING_NEW_ACCOUNT_PER_MINUTE", 5, minimum=1),
        "MESSAGING_NEW_ACCOUNT_DAYS": env.int("MESSAGING_NEW_ACCOUNT_DAYS", 3, minimum=0),
        # Notifications (fanclub.notifications): absolute links in emails, Web Push (VAPID) keys.
        "SITE_URL": env.url("SITE_URL", ("http", "https")) or "http://localhost:8000",
        "VAPID_PUBLIC_KEY": env.str("VAPID_PUBLIC_KEY"),
        "VAPID_PRIVATE_KEY": env.str("VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": env.str("VAPID_SUBJECT", "mailto:admin@fanclub.localhost"),
        # Community rankings (fanclub.community): see docs/rankings.md for the formulas.
        "RANKING_WEIGHT_VOTE": _weight(env, "RANKING_WEIGHT_VOTE", 1.0),
        "RANKING_WEIGHT_LIKE": _weight(env, "RANKING_WEIGHT_LIKE", 1.0),
        "RANKING_WEIGHT_COMMENT": _weight(env, "RANKING_WEIGHT_COMMENT", 2.0),
        "RANKING_WEIGHT_TIP": _weight(env, "RANKING_WEIGHT_TIP", 5.0),
        "RANKING_HOT_DECAY_SECONDS": env.int("RANKING_HOT_DECAY_SECONDS", 45_000, minimum=60),
        "RANKING_TRENDING_DAYS": env.int("RANKING_TRENDING_DAYS", 7, minimum=1),
        "RANKING_CACHE_SECONDS": env.int("RANKING_CACHE_SECONDS", 300, minimum=0),
        # Home feed (fanclub.feeds): how long a fan's first page of post ids stays cached (0 = off).
        "FEEDS_CACHE_SECONDS": env.int("FEEDS_CACHE_SECONDS", 60, minimum=0),
        # Process settings, used by the `fanclub` command rather than by Django itself.
        "HOST": env.str("HOST", "127.0.0.1"),
        "PORT": env.int("PORT", 8000, minimum=1),
        "WS_PORT": env.int("WS_PORT", 8001, minimum=1),
        "WEB_CONCURRENCY": env.int("WEB_CONCURRENCY", 3, minimum=1),
        "WORKER_CONCURRENCY": env.int("WORKER_CONCURRENCY", 4, minimum=1),
    }
    if production:
        if cfg["SECRET_KEY"] == DEV_SECRET_KEY or len(cfg["SECRET_KEY"]) < 50:
            env.problems.append("SECRET_KEY: production needs a unique random key of at least 50 characters")
        if cfg["DEBUG"]:
            env.problems.append("DEBUG: must be false in production")
        if not cfg["ALLOWED_HOSTS"]:
            env.problems.append("ALLOWED_HOSTS: production needs the list of host names the site answers to")
    for provider in ("GOOGLE", "X"):
        if bool(cfg[f"OAUTH_{provider}_CLIENT_ID"]) != bool(cfg[f"OAUTH_{provider}_CLIENT_SECRET"]):
            env.problems.append(
                f"OAUTH_{provider}_CLIENT_ID/OAUTH_{provider}_CLIENT_SECRET: set both or neither"
            )
    if cfg["JWT_SIGNING_KEY"] and len(cfg["JWT_SIGNING_KEY"]) < 32:
        env.problems.append("JWT_SIGNING_KEY: use at least 32 random characters")
    if cfg["MEDIA_STORAGE"] == "s3" and not cfg["S3_BUCKET"]:
        env.problems.append("S3_BUCKET: MEDIA_STORAGE=s3 needs a bucket name")
    if not cfg["MEDIA_STORAGE_ENV"].replace("-", "").replace("_", "").isalnum():
        env.problems.append("MEDIA_STORAGE_ENV: use letters, digits, '-' and '_' only")
    if cfg["BILLING_PLATFORM_FEE_BPS"] > 10_000:
        env.problems.append("BILLING_PLATFORM_FEE_BPS: basis points, at most 10000 (100%)")
    stripe_keys = cfg["STRIPE_SECRET_KEY"] and cfg["STRIPE_WEBHOOK_SECRET"]
    ccbill_keys = all(cfg[k] for k in ("CCBILL_CLIENT_ACCNUM", "CCBILL_CLIENT_SUBACC", "CCBILL_SALT"))
    if cfg["BILLING_PROCESSOR"] == "ccbill" and not ccbill_keys:
        env.problems.append(
            "CCBILL_CLIENT_ACCNUM/CCBILL_CLIENT_SUBACC/CCBILL_SALT: BILLING_PROCESSOR=ccbill needs all three"
        )
    if cfg["BILLING_PROCESSOR"] == "stripe" and not stripe_keys:
        env.problems.append("STRIPE_SECRET_KEY/STRIPE_WEBHOOK_SECRET: BILLING_PROCESSOR=stripe needs both")
    for name in ("STRIPE_API_BASE", "CCBILL_API_BASE"):
        cfg[name] = cfg[name].rstrip("/")
        if production and not cfg[name].startswith("https://"):
            env.problems.append(f"{name}: production talks to the processor over https:// only")
    sandbox = cfg["BILLING_PROCESSOR"] == "sandbox"
    if production and sandbox and not env.is_set("BILLING_SANDBOX_WEBHOOK_SECRET"):
        env.problems.append(
            "BILLING_SANDBOX_WEBHOOK_SECRET: production with the sandbox processor needs its own secret"
        )
    # Web Push is optional (in-app and email work without it), but half a key pair is a mistake.
    if bool(cfg["VAPID_PUBLIC_KEY"]) != bool(cfg["VAPID_PRIVATE_KEY"]):
        env.problems.append(
            "VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY: set both or neither (python manage.py vapid_keys)"
        )
    cfg["EMAIL_ANYMAIL_ESP"], cfg["EMAIL_ANYMAIL"] = "", {}
    email_scheme = cfg["EMAIL_URL"].split("://", 1)[0]
    if email_scheme == "anymail":
        cfg["EMAIL_ANYMAIL_ESP"], cfg["EMAIL_ANYMAIL"], anymail_problems = anymail_url_parse(cfg["EMAIL_URL"])
        env.problems.extend(anymail_problems)
        if production and cfg["EMAIL_ANYMAIL_ESP"] == "test":
            env.problems.append("EMAIL_URL: anymail://test sends nothing; production needs a real provider")
    elif email_scheme not in ("console", "smtp", "smtps", "memory"):
        env.problems.append(
            "EMAIL_URL: expected console://, memory://, smtp://..., smtps://... or anymail://<esp>?..."
        )
    _email_webhook(env, cfg, production=production)
    return cfg


def _email_webhook(env: Env, cfg: dict[str, Any], *, production: bool) -> None:
    """EMAIL_WEBHOOK_SECRET / EMAIL_WEBHOOK_SIGNING_KEY -> cfg["EMAIL_TRACKING_ESP"] and ANYMAIL settings.

    Production refuses an ESP whose delivery-status webhook would be open to anyone (no basic-auth
    secret, or a strong enough one) or that anymail cannot verify without the ESP's signing key:
    a forged "hard bounce" would silently stop a user's email."""
    esp = cfg["EMAIL_ANYMAIL_ESP"]
    webhook = ANYMAIL_TRACKING_WEBHOOKS.get(esp)
    cfg["EMAIL_TRACKING_ESP"] = esp if webhook else ""
    secrets, problems = email_webhook_secret_parse(cfg["EMAIL_WEBHOOK_SECRET"])
    env.problems.extend(problems)
    signing_key = cfg["EMAIL_WEBHOOK_SIGNING_KEY"]
    if not webhook:
        for name in ("EMAIL_WEBHOOK_SECRET", "EMAIL_WEBHOOK_SIGNING_KEY"):
            if cfg[name]:
                env.problems.append(
                    f"{name}: only used with EMAIL_URL=anymail://<esp> of an ESP with a tracking webhook"
                )
        return
    _, signing_setting, signing_required = webhook
    if signing_key and not signing_setting:
        env.problems.append(
            f"EMAIL_WEBHOOK_SIGNING_KEY: anymail://{esp} signs nothing; its webhook uses EMAIL_WEBHOOK_SECRET"
        )
    settings: dict[str, Any] = {}
    if secrets:
        settings["WEBHOOK_SECRET"] = secrets
    if signing_key and signing_setting:
        settings[f"{esp.upper()}_{signing_setting}"] = signing_key
    cfg["EMAIL_ANYMAIL"] = {**cfg["EMAIL_ANYMAIL"], **settings}
    if production:
        if not secrets:
            env.problems.append(
                f"EMAIL_WEBHOOK_SECRET: production with anymail://{esp} needs user:password for "
                "its delivery-status webhook"
            )
        elif any(len(s.partition(":")[2]) < EMAIL_WEBHOOK_SECRET_MIN_PASSWORD for s in secrets):
            env.problems.append(
                f"EMAIL_WEBHOOK_SECRET: use a password of at least {EMAIL_WEBHOOK_SECRET_MIN_PASSWORD} "
                "random characters"
            )
        if signing_required and not signing_key:
            env.problems.append(
                f"EMAIL_WEBHOOK_SIGNING_KEY: production with anymail://{esp} needs the ESP's webhook "
                f"signing key (anymail's {esp.upper()}_{signing_setting})"
            )
