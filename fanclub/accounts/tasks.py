from __future__ import annotations

from procrastinate.contrib.django import app

from fanclub.accounts import services
from fanclub.core.jobs import retry


@app.task(queue="accounts", retry=retry())
def user_avatar_generate_task(*, user_id: int) -> bool:
    return services.user_avatar_generate(user_id=user_id)
