"""Who may do what with accounts. Pure predicates; query scoping lives in selectors (``*_qs_for_user``)."""

from __future__ import annotations

from typing import Any

from fanclub.accounts.constants import Role
from fanclub.accounts.models import ApiToken, DeviceSession, User


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_moderator(user: Any) -> bool:
    return is_signed_in(user) and user.role in (Role.MODERATOR, Role.ADMIN)


def is_admin(user: Any) -> bool:
    return is_signed_in(user) and user.role == Role.ADMIN


def can_manage_session(user: Any, session: DeviceSession) -> bool:
    return is_signed_in(user) and session.user_id == user.pk


def can_manage_api_token(user: Any, token: ApiToken) -> bool:
    return is_signed_in(user) and token.user_id == user.pk


def can_ban_user(actor: Any, target: User) -> bool:
    """Admins ban anyone but themselves and other admins; moderators ban fans and creators."""
    if not is_moderator(actor) or actor.pk == target.pk:
        return False
    if target.role == Role.ADMIN:
        return False
    if target.role == Role.MODERATOR:
        return is_admin(actor)
    return True


def can_request_payout(user: Any) -> bool:
    """Creators need a second factor before money leaves the platform (enforced by billing)."""
    return is_signed_in(user) and user.role == Role.CREATOR and bool(user.has_mfa)
