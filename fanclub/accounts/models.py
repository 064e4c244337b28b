from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from fanclub.accounts.constants import HANDLE_MAX_LENGTH, Role, SecurityEventKind, SessionKind, TokenScope


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, handle: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), handle=handle, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, handle: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, handle, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Everyone starts as a fan; creators, moderators and admins are roles.

    Email and handle are unique case-insensitively (functional unique indexes on lower()). A banned
    account has ``is_active=False`` and ``banned_at`` set. An account whose owner asked for deletion
    keeps working until ``purge_after`` (signing in cancels the request); the purge job belongs to
    the compliance app.
    """

    email = models.EmailField(max_length=254, unique=True)
    handle = models.CharField(max_length=HANDLE_MAX_LENGTH)
    display_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.FAN)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    banned_at = models.DateTimeField(null=True, blank=True)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["handle"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("handle"), name="accounts_user_handle_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
        ]
        indexes = [
            models.Index(fields=["role", "id"], name="accounts_user_role_id_idx"),
            models.Index(
                fields=["purge_after"],
                name="accounts_user_purge_idx",
                condition=models.Q(purge_after__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    @property
    def name(self) -> str:
        return self.display_name or self.handle

    @property
    def is_creator(self) -> bool:
        return self.role == Role.CREATOR

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_mfa(self) -> bool:
        """A second factor (authenticator app or passkey) is enabled; recovery codes alone do not count."""
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(
            user_id=self.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()


class DeviceSession(models.Model):
    """One signed-in device: a browser session or an API client's refresh-token family.

    Revoking it ends the browser session (checked by middleware on every request) or invalidates
    every access and refresh token issued for it (access tokens carry its id as ``sid``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_sessions")
    kind = models.CharField(max_length=8, choices=SessionKind.choices)
    session_key_hash = models.CharField(max_length=64, blank=True, db_index=True)
    user_agent = models.CharField(max_length=512, blank=True)
    device = models.CharField(max_length=120, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "-last_seen_at"],
                name="accounts_devsess_active_idx",
                condition=models.Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} session of user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RefreshToken(models.Model):
    """An opaque refresh token, stored as its SHA-256. Its family is its device session.

    Each refresh spends the token (``used_at``) and issues the next one in the same family; a spent
    token presented again means it leaked, so the whole family (the session) is revoked.
    """

    session = models.ForeignKey(DeviceSession, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.pk} of session {self.session_id}"


class ApiToken(models.Model):
    """A personal API token for integrations: shown once, stored as its SHA-256, scoped, revocable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=16, choices=TokenScope.choices), size=3)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SecurityEvent(models.Model):
    """An append-only record of something security-relevant that happened to an account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, related_name="security_events")
    kind = models.CharField(max_length=32, choices=SecurityEventKind.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="accounts_secevent_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"
