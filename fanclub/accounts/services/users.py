from __future__ import annotations

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from fanclub.accounts import avatars
from fanclub.accounts.client import ClientInfo
from fanclub.accounts.constants import ACCOUNT_PURGE_DAYS, Role, SecurityEventKind
from fanclub.accounts.models import User
from fanclub.accounts.services.events import security_event_record
from fanclub.accounts.services.sessions import device_session_revoke_all
from fanclub.accounts.services.tokens import api_token_revoke_all


@transaction.atomic
def user_create(
    *,
    email: str,
    handle: str,
    password: str | None,
    date_of_birth: date | None = None,
    display_name: str = "",
    role: str = Role.FAN,
    email_verified: bool = True,
) -> User:
    """Create an account (demo data, admin tools, tests) with its allauth email address, and queue
    its default avatar in the same transaction. Self-service sign-up goes through allauth instead."""
    from allauth.account.models import EmailAddress

    from fanclub.accounts import tasks

    user = User.objects.create_user(
        email=email,
        handle=handle,
        password=password,
        date_of_birth=date_of_birth,
        display_name=display_name,
        role=role,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    tasks.user_avatar_generate_task.defer(user_id=user.pk)
    return user


def user_avatar_queue(*, user: User) -> None:
    """Queue the default avatar for an account created by allauth's sign-up flow."""
    from fanclub.accounts import tasks

    tasks.user_avatar_generate_task.defer(user_id=user.pk)


@transaction.atomic
def user_update_profile(*, user: User, display_name: str) -> User:
    user.display_name = display_name.strip()
    user.save(update_fields=["display_name"])
    return user


def user_avatar_generate(*, user_id: int) -> bool:
    """Give the user a generated avatar unless they have one. Idempotent; returns True if it wrote one."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or user.avatar:
            return False
        user.avatar.save(
            f"{user.pk}-{user.handle.lower()}.png", ContentFile(avatars.identicon_png(user.handle))
        )
    return True


@transaction.atomic
def user_credentials_changed(
    *, user: User, kind: str, client: ClientInfo | None = None, keep_session_id: str | None = None
) -> None:
    """After a password change or reset: end every other session and every API token at once."""
    device_session_revoke_all(
        user=user, reason=kind, keep_session_id=keep_session_id, client=client, record=False
    )
    api_token_revoke_all(user=user)
    security_event_record(user=user, kind=kind, client=client)


@transaction.atomic
def user_signed_in(*, user: User, client: ClientInfo | None, method: str) -> None:
    """Bookkeeping for a completed sign-in: event, and cancel a pending deletion request."""
    security_event_record(
        user=user, kind=SecurityEventKind.SIGN_IN, client=client, details={"method": method}
    )
    if user.deletion_requested_at is not None:
        User.objects.filter(pk=user.pk).update(deletion_requested_at=None, purge_after=None)
        user.deletion_requested_at = None
        user.purge_after = None
        security_event_record(user=user, kind=SecurityEventKind.DELETION_CANCELLED, client=client)


def user_sign_in_failed(*, email: str, client: ClientInfo | None, blocked: bool = False) -> None:
    user = User.objects.filter(email__iexact=email.strip()).only("pk").first() if email else None
    security_event_record(
        user=user,
        kind=SecurityEventKind.SIGN_IN_BLOCKED if blocked else SecurityEventKind.SIGN_IN_FAILED,
        client=client,
    )


@transaction.atomic
def user_ban(*, actor: User, user: User, reason: str, client: ClientInfo | None = None) -> User:
    """Ban an account: it cannot sign in, and every session and token stops working immediately.
    The caller has checked ``permissions.can_ban_user``."""
    User.objects.filter(pk=user.pk).update(is_active=False, banned_at=timezone.now())
    user.refresh_from_db(fields=["is_active", "banned_at"])
    device_session_revoke_all(user=user, reason="banned", record=False)
    api_token_revoke_all(user=user)
    security_event_record(
        user=user,
        kind=SecurityEventKind.ACCOUNT_BANNED,
        client=client,
        details={"by": actor.pk, "reason": reason[:500]},
    )
    return user


@transaction.atomic
def user_deletion_request(*, user: User, client: ClientInfo | None = None) -> User:
    """Mark the account for purge in 30 days and sign it out everywhere. Signing in cancels it.
    The caller has re-checked the password."""
    now = timezone.now()
    user.deletion_requested_at = now
    user.purge_after = now + timedelta(days=ACCOUNT_PURGE_DAYS)
    user.save(update_fields=["deletion_requested_at", "purge_after"])
    device_session_revoke_all(user=user, reason="deletion_requested", record=False)
    api_token_revoke_all(user=user)
    security_event_record(
        user=user,
        kind=SecurityEventKind.DELETION_REQUESTED,
        client=client,
        details={"purgeAfter": user.purge_after.isoformat()},
    )
    return user
