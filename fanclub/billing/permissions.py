"""Who may do what with money: pure predicates (the services call them)."""

from __future__ import annotations

from typing import Any

from fanclub.accounts.constants import Role


def can_refund_charge(user: Any, charge: Any) -> bool:
    """Admins refund any charge; a creator refunds charges paid to them. Never the payer."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    return charge.creator_id is not None and charge.creator_id == user.pk and user.role == Role.CREATOR
