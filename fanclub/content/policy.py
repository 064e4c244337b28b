"""The one access policy for posts: pages, API, feeds and media delivery all ask it.

Two questions, always answered together in SQL so a list costs one query whatever its length:

* *existence*: which posts may this viewer know about? Live posts (published, publish date
  passed, not expired, not deleted) of active creators who do not block the viewer's country and
  with whom the viewer has no block either way, plus every post of the viewer's own (drafts and
  scheduled included).
* *full access*: ``has_access`` on each of them. The owner always; then by the post's rule:
  public: everyone; followers: a follow or an active membership; subscribers: an active
  membership; tiers: an active membership at one of the post's tiers; pay-per-view: an unlock, or
  an active membership at one of the tiers the post is free for.

A membership is active while its status is active and its period has not ended: checked here,
by date, so losing an entitlement takes effect at once (no job needs to run first). Media delivery
asks the same question through the entitlement provider registered in :func:`register`, on every
request, so a still-valid signed URL answers 403 once access is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from fanclub.content.constants import Access, PostState
from fanclub.content.models import Post, PostUnlock
from fanclub.creators.constants import MembershipStatus
from fanclub.creators.errors import GeoBlocked
from fanclub.creators.models import CreatorProfile, Membership
from fanclub.media.constants import PUBLIC_SAFE_VARIANTS
from fanclub.social.models import Follow
from fanclub.social.selectors import block_between_q


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def live_q(now: datetime) -> Q:
    """Posts anyone may know exist (before per-viewer rules)."""
    return Q(
        state=PostState.PUBLISHED, published_at__lte=now, deleted_at__isnull=True, creator__is_active=True
    ) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def membership_active_q(now: datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": MembershipStatus.ACTIVE}) & (
        Q(**{f"{prefix}current_period_end__isnull": True}) | Q(**{f"{prefix}current_period_end__gt": now})
    )


def access_expression(*, user: Any, now: datetime) -> Case:
    """``has_access`` for the rows of a Post queryset, as one SQL CASE."""
    if not _signed_in(user):
        return Case(
            When(access=Access.PUBLIC, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    member = Exists(
        Membership.objects.filter(membership_active_q(now), fan_id=user.pk, creator_id=OuterRef("creator_id"))
    )
    tier_member = Exists(
        Membership.objects.filter(membership_active_q(now), fan_id=user.pk, tier__posts=OuterRef("pk"))
    )
    follows = Exists(Follow.objects.filter(follower_id=user.pk, creator_id=OuterRef("creator_id")))
    unlocked = Exists(PostUnlock.objects.filter(fan_id=user.pk, post_id=OuterRef("pk")))
    # Each subquery appears once (compiling the SQL is a large share of a list's CPU): followers
    # or subscribers pass with a membership, tiers or pay-per-view with a membership at a tier.
    return Case(
        When(creator_id=user.pk, then=Value(True)),
        When(access=Access.PUBLIC, then=Value(True)),
        When(Q(access__in=[Access.FOLLOWERS, Access.SUBSCRIBERS]) & member, then=Value(True)),
        When(Q(access=Access.FOLLOWERS) & follows, then=Value(True)),
        When(Q(access__in=[Access.TIERS, Access.PPV]) & tier_member, then=Value(True)),
        When(Q(access=Access.PPV) & unlocked, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


# --- The same policy as SQL text --------------------------------------------------------------------
# List pages (the home feed's cards) run one hand-written statement, compiled once per process:
# building the ORM expression above costs more CPU than PostgreSQL spends answering it. These are
# the SQL twins of ``post_qs_visible_to`` (existence) and ``access_expression`` (``has_access``),
# over ``content_post p`` joined with its creator as ``accounts_user u``, with the parameters of
# :func:`sql_params`. ``content/tests/test_policy_sql.py`` checks them against the ORM policy for every
# access rule x viewer relation; change both together.
ACTIVE_MEMBERSHIP_SQL = (
    f"m.status = '{MembershipStatus.ACTIVE.value}'"
    " AND (m.current_period_end IS NULL OR m.current_period_end > %(now)s)"
)
VISIBLE_SQL = f"""(
  ((p.state = '{PostState.PUBLISHED.value}' AND p.published_at <= %(now)s AND p.deleted_at IS NULL
    AND u.is_active AND (p.expires_at IS NULL OR p.expires_at > %(now)s))
   OR (p.creator_id = %(viewer)s AND p.deleted_at IS NULL))
  AND (%(country)s = '' OR p.creator_id = %(viewer)s OR NOT EXISTS (
    SELECT 1 FROM creators_creatorprofile geo WHERE geo.user_id = p.creator_id
    AND geo.blocked_countries @> ARRAY[%(country)s]::varchar[]))
  AND NOT EXISTS (SELECT 1 FROM social_block b
                  WHERE b.blocker_id = %(viewer)s AND b.blocked_id = p.creator_id)
  AND NOT EXISTS (SELECT 1 FROM social_block b
                  WHERE b.blocked_id = %(viewer)s AND b.blocker_id = p.creator_id)
)"""  # noqa: S608 (constants only; values are bound parameters)
# ``live_q``'s twin (search, tag and category lists: live posts only, not even the viewer's drafts).
LIVE_SQL = (
    f"p.state = '{PostState.PUBLISHED.value}' AND p.published_at <= %(now)s AND p.deleted_at IS NULL"
    " AND u.is_active AND (p.expires_at IS NULL OR p.expires_at > %(now)s)"
)


def has_access_sql(viewer: str = "%(viewer)s") -> str:
    """``access_expression``'s SQL twin over ``content_post p``, for the viewer the SQL expression
    ``viewer`` names: the bound parameter by default, or a column (a recipient per row). Same order
    of tests as ``access_expression``; with the viewer NULL (not signed in) every EXISTS is false
    and the owner test is NULL, which leaves "public" only, as the anonymous branch there."""
    return f"""CASE
  WHEN p.creator_id = {viewer} THEN true
  WHEN p.access = '{Access.PUBLIC.value}' THEN true
  WHEN p.access IN ('{Access.FOLLOWERS.value}', '{Access.SUBSCRIBERS.value}') AND EXISTS (
    SELECT 1 FROM creators_membership m
    WHERE m.fan_id = {viewer} AND m.creator_id = p.creator_id AND {ACTIVE_MEMBERSHIP_SQL}) THEN true
  WHEN p.access = '{Access.FOLLOWERS.value}' AND EXISTS (
    SELECT 1 FROM social_follow f WHERE f.follower_id = {viewer} AND f.creator_id = p.creator_id) THEN true
  WHEN p.access IN ('{Access.TIERS.value}', '{Access.PPV.value}') AND EXISTS (
    SELECT 1 FROM creators_membership m JOIN content_post_tiers pt ON pt.tier_id = m.tier_id
    WHERE m.fan_id = {viewer} AND pt.post_id = p.id AND {ACTIVE_MEMBERSHIP_SQL}) THEN true
  WHEN p.access = '{Access.PPV.value}' AND EXISTS (
    SELECT 1 FROM content_postunlock pu WHERE pu.fan_id = {viewer} AND pu.post_id = p.id) THEN true
  ELSE false
END"""  # noqa: S608 (constants and the caller's SQL only)


HAS_ACCESS_SQL = has_access_sql()


def sql_params(*, user: Any, country: str = "", now: datetime | None = None) -> dict[str, Any]:
    """The parameters of ``VISIBLE_SQL`` / ``HAS_ACCESS_SQL`` for this viewer: ``viewer`` is NULL
    unless signed in as an active user (as :func:`_signed_in`), ``country`` upper-cased or ''."""
    return {
        "viewer": user.pk if _signed_in(user) else None,
        "now": now or timezone.now(),
        "country": country.upper(),
    }


def post_qs_visible_to(*, user: Any, country: str = "", now: datetime | None = None) -> QuerySet[Post]:
    """Every post ``user`` may know exists, annotated with ``has_access`` (full view or not).

    ``country`` is the viewer's ISO code (from their IP): posts of creators who block it are left
    out, except the viewer's own.
    """
    now = now or timezone.now()
    visible = live_q(now)
    if _signed_in(user):
        visible |= Q(creator_id=user.pk, deleted_at__isnull=True)
    queryset = Post.objects.filter(visible)
    if country:
        blocked = Q(creator__creator_profile__blocked_countries__contains=[country.upper()])
        if _signed_in(user):
            blocked &= ~Q(creator_id=user.pk)
        queryset = queryset.exclude(blocked)
    if _signed_in(user):
        queryset = queryset.exclude(block_between_q(user_id=user.pk, other_field="creator_id"))
    return queryset.annotate(has_access=access_expression(user=user, now=now))


def can_view_post(user: Any, post: Post, *, country: str = "") -> bool:
    """May ``user`` know ``post`` exists (see its locked preview)?"""
    return post_qs_visible_to(user=user, country=country).filter(pk=post.pk).exists()


def can_view_post_full(user: Any, post: Post, *, country: str = "") -> bool:
    """May ``user`` see ``post`` in full (text, every media item in its full variants)?"""
    if _signed_in(user) and post.creator_id == user.pk and post.deleted_at is None:
        return True
    return post_qs_visible_to(user=user, country=country).filter(pk=post.pk, **{"has_access": True}).exists()


def can_manage_post(user: Any, post: Post) -> bool:
    return _signed_in(user) and post.creator_id == user.pk and post.deleted_at is None


def media_entitlement(user: Any, media: Any, variant: str, *, country: str = "") -> bool | None:
    """Media delivery's question: is ``media`` part of a post this user may see in full?

    Raises ``GeoBlocked`` (451) when the media's owner blocks the viewer's ``country``, whatever
    the variant (previews and avatars included), as their pages and API do; the owner themself
    never gets here (media delivery lets the owner through first). One indexed query per delivered
    file, plus one when the country is known.
    """
    if country and _owner_blocks(owner_id=media.owner_id, country=country):
        raise GeoBlocked("This creator's content is not available in your region.")
    if variant in PUBLIC_SAFE_VARIANTS:
        return None  # granted by the media policy already: no need to ask the database
    return (
        post_qs_visible_to(user=user).filter(attachments__media_id=media.pk, **{"has_access": True}).exists()
        or None
    )


def _owner_blocks(*, owner_id: int, country: str) -> bool:
    return CreatorProfile.objects.filter(pk=owner_id, blocked_countries__contains=[country.upper()]).exists()


def register() -> None:
    from fanclub.media.permissions import register_entitlement_provider

    register_entitlement_provider(media_entitlement)
