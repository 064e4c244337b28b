from __future__ import annotations

from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction

from fanclub.accounts import avatars
from fanclub.accounts.constants import Role
from fanclub.accounts.models import User


@transaction.atomic
def user_create(
    *,
    email: str,
    handle: str,
    password: str | None,
    date_of_birth: date | None = None,
    display_name: str = "",
    role: str = Role.FAN,
) -> User:
    """Create an account and, in the same transaction, queue its default avatar."""
    from fanclub.accounts import tasks

    user = User.objects.create_user(
        email=email,
        handle=handle,
        password=password,
        date_of_birth=date_of_birth,
        display_name=display_name,
        role=role,
    )
    tasks.user_avatar_generate_task.defer(user_id=user.pk)
    return user


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
