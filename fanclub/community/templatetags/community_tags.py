from __future__ import annotations

from typing import Any

from django import template

from fanclub.community import cache, presenters, selectors

register = template.Library()


@register.inclusion_tag("community/_badges.html")
def creator_badges(user_id: int) -> dict[str, Any]:
    """The creator's badges for their profile page: public data, cached until the next job run
    writes (badges or rankings bump the generation), so a profile view costs no extra query."""
    badges = cache.cached(
        f"badges:{user_id}",
        lambda: [presenters.badge_out(award) for award in selectors.badge_list_for_user(user_id=user_id)],
    )
    return {"badges": badges}
