from django.db import models

HANDLE_MIN_LENGTH = 3
HANDLE_MAX_LENGTH = 30
MINIMUM_AGE_YEARS = 18
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
ACCOUNT_PURGE_DAYS = 30

# Handles that would impersonate the platform or collide with routes.
RESERVED_HANDLES = frozenset(
    {
        "admin",
        "administrator",
        "api",
        "support",
        "help",
        "root",
        "system",
        "staff",
        "moderator",
        "mod",
        "mods",
        "security",
        "fanclub",
        "official",
        "team",
        "info",
        "contact",
        "abuse",
        "billing",
        "payments",
        "payouts",
        "legal",
        "privacy",
        "terms",
        "login",
        "logout",
        "signin",
        "signup",
        "sign-in",
        "sign-up",
        "register",
        "account",
        "accounts",
        "settings",
        "me",
        "static",
        "media",
        "www",
        "mail",
        "email",
        "noreply",
        "no-reply",
        "postmaster",
        "webmaster",
        "hostmaster",
        "null",
        "undefined",
        "anonymous",
        "everyone",
        "all",
        "creator",
        "creators",
        "fan",
        "fans",
        "explore",
        "search",
        "feed",
        "home",
        "live",
        "messages",
        "notifications",
        "docs",
        "status",
        "healthz",
        "readyz",
        "metrics",
        "offline",
        "about",
        "blog",
        "jobs",
        "press",
        "dev",
        "test",
    }
)


class Role(models.TextChoices):
    FAN = "fan", "Fan"
    CREATOR = "creator", "Creator"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


class SessionKind(models.TextChoices):
    WEB = "web", "Browser"
    API = "api", "API client"


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    BILLING = "billing", "Billing"


class SecurityEventKind(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in attempt"
    SIGN_IN_BLOCKED = "sign_in_blocked", "Sign-in blocked after too many failures"
    SIGN_OUT = "sign_out", "Signed out"
    SIGN_UP = "sign_up", "Account created"
    EMAIL_VERIFIED = "email_verified", "Email verified"
    EMAIL_CHANGED = "email_changed", "Email changed"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    MFA_ENABLED = "mfa_enabled", "Authenticator app enabled"
    MFA_DISABLED = "mfa_disabled", "Authenticator app disabled"
    RECOVERY_CODES_GENERATED = "recovery_codes_generated", "Recovery codes generated"
    PASSKEY_ADDED = "passkey_added", "Passkey added"
    PASSKEY_REMOVED = "passkey_removed", "Passkey removed"
    MFA_FAILED = "mfa_failed", "Wrong second-factor code"
    SESSION_REVOKED = "session_revoked", "Session revoked"
    SESSIONS_REVOKED = "sessions_revoked", "Other sessions revoked"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    REFRESH_TOKEN_REUSED = "refresh_token_reused", "Reused refresh token detected: sessions revoked"
    ACCOUNT_BANNED = "account_banned", "Account banned"
    DELETION_REQUESTED = "deletion_requested", "Account deletion requested"
    DELETION_CANCELLED = "deletion_cancelled", "Account deletion cancelled"
