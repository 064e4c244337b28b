"""Pages: public creator profile, post detail with comments, and the studio composer.

One function-based view per page returns the full page or a named partial (htmx); permission
checks stay here and in the selectors they call, never only in templates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.content import presenters, selectors, services
from fanclub.content.constants import Access, Category
from fanclub.core.errors import ApiError
from fanclub.creators import geo
from fanclub.creators import selectors as creator_selectors
from fanclub.creators.errors import GeoBlocked
from fanclub.creators.permissions import is_creator
from fanclub.creators.presenters import creator_out
from fanclub.media import selectors as media_selectors
from fanclub.media.constants import MediaState
from fanclub.social import selectors as social_selectors
from fanclub.social import services as social_services


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "content/unavailable.html", status=451)


def _profile(request: HttpRequest, handle: str) -> Any:
    try:
        return creator_selectors.creator_profile_get_public(
            handle=handle, viewer=request.user, country=geo.country_for_request(request)
        )
    except GeoBlocked:
        raise
    except ApiError as exc:
        raise Http404("No such creator") from exc


@require_GET
def creator_profile(request: HttpRequest, handle: str) -> HttpResponse:
    """Public profile: persona, tiers, posts grid (locked posts as blurred previews + one action)."""
    try:
        profile = _profile(request, handle)
    except GeoBlocked:
        return _unavailable(request)
    tiers = creator_selectors.tier_list_offered(creator_id=profile.pk)
    page = selectors.post_list_for_creator(
        viewer=request.user,
        creator_id=profile.pk,
        country=geo.country_for_request(request),
        cursor=request.GET.get("cursor"),
        limit=24,
    )
    cards = [presenters.post_card(request, post, offered=tiers) for post in page.items]
    context = {
        "profile": profile,
        "creator": creator_out(
            request,
            profile,
            tiers=tiers,
            is_following=social_selectors.is_following(user=request.user, creator_id=profile.pk),
            membership=creator_selectors.membership_active_for(fan=request.user, creator_id=profile.pk),
        ),
        "cards": cards,
        "next_cursor": page.next_cursor,
        "is_owner": request.user.is_authenticated and request.user.pk == profile.pk,
        "is_muted": request.user.is_authenticated
        and social_selectors.is_muted(muter_id=request.user.pk, muted_id=profile.pk),
    }
    template = (
        "content/profile.html#posts"
        if _is_htmx(request) and request.GET.get("cursor")
        else "content/profile.html"
    )
    return render(request, template, context)


@require_POST
@login_required
def follow_toggle(request: HttpRequest, handle: str) -> HttpResponse:
    try:
        profile = _profile(request, handle)
    except GeoBlocked:
        return _unavailable(request)
    following = social_selectors.is_following(user=request.user, creator_id=profile.pk)
    try:
        if following:
            social_services.follow_delete(follower=request.user, creator=profile.user)
        else:
            social_services.follow_create(follower=request.user, creator=profile.user)
    except ApiError as exc:
        messages.error(request, exc.message)
    if _is_htmx(request):
        return render(
            request,
            "content/profile.html#follow",
            {"creator": {"handle": profile.user.handle, "is_following": not following}, "user": request.user},
        )
    return redirect("content:creator-profile", handle=profile.user.handle)


@require_GET
def subscribe_info(request: HttpRequest, handle: str) -> HttpResponse:
    """Where "Subscribe" and "Unlock" lead: the checkout for a chosen tier or post, else the tiers."""
    try:
        profile = _profile(request, handle)
    except GeoBlocked:
        return _unavailable(request)
    tier, post = request.GET.get("tier", ""), request.GET.get("post", "")
    if tier.isdigit():
        return redirect("billing:checkout-subscribe", tier_id=int(tier))
    if post.isdigit():
        return redirect("billing:checkout-unlock", post_id=int(post))
    return render(
        request,
        "content/subscribe.html",
        {"profile": profile, "tiers": creator_selectors.tier_list_offered(creator_id=profile.pk)},
    )


def _post_or_404(request: HttpRequest, post_id: int) -> Any:
    try:
        return selectors.post_get_for_viewer(
            viewer=request.user, post_id=post_id, country=geo.country_for_request(request)
        )
    except ApiError as exc:
        raise Http404("No such post") from exc


@require_GET
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_or_404(request, post_id)
    offered = creator_selectors.tier_list_offered(creator_id=post.creator_id)
    card = presenters.post_card(request, post, offered=offered)
    comments = (
        selectors.comment_list_for_post(
            post=post, viewer=request.user, cursor=request.GET.get("cursor"), limit=50
        )
        if card["has_access"]
        else None
    )
    context = {"card": card, "post": post, "comments": comments}
    template = "content/post_detail.html#comments" if _is_htmx(request) else "content/post_detail.html"
    return render(request, template, context)


@require_POST
@login_required
def comment_create(request: HttpRequest, post_id: int) -> HttpResponse:
    parent = request.POST.get("parent")
    try:
        services.comment_create(
            user=request.user,
            post_id=post_id,
            text=request.POST.get("text", ""),
            parent_id=int(parent) if parent and parent.isdigit() else None,
            country=geo.country_for_request(request),
        )
    except ApiError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    if _is_htmx(request):
        post = _post_or_404(request, post_id)
        comments = selectors.comment_list_for_post(post=post, viewer=request.user, limit=50)
        card = presenters.post_card(request, post)
        return render(
            request, "content/post_detail.html#comments", {"card": card, "post": post, "comments": comments}
        )
    return redirect("content:post-detail", post_id=post_id)


@require_POST
@login_required
def comment_delete(request: HttpRequest, post_id: int, comment_id: int) -> HttpResponse:
    try:
        services.comment_delete(user=request.user, comment_id=comment_id)
    except ApiError as exc:
        raise Http404 from exc
    return redirect("content:post-detail", post_id=post_id)


@require_POST
@login_required
def post_react(request: HttpRequest, post_id: int, kind: str) -> HttpResponse:
    """Like/unlike and bookmark/unbookmark toggles (htmx swaps the reaction bar)."""
    post = _post_or_404(request, post_id)
    country = geo.country_for_request(request)
    try:
        if kind == "like":
            if post.viewer_liked:  # type: ignore[attr-defined]
                services.post_unlike(user=request.user, post_id=post.pk)
            else:
                services.post_like(user=request.user, post_id=post.pk, country=country)
        elif kind == "bookmark":
            if post.viewer_bookmarked:  # type: ignore[attr-defined]
                services.bookmark_remove(user=request.user, post_id=post.pk)
            else:
                services.bookmark_add(user=request.user, post_id=post.pk, country=country)
        else:
            raise Http404
    except ApiError as exc:
        messages.error(request, exc.message)
    if _is_htmx(request):
        card = presenters.post_card(request, _post_or_404(request, post_id))
        return render(request, "content/_card.html#reactions", {"card": card})
    return redirect("content:post-detail", post_id=post_id)


# --- Studio: posts --------------------------------------------------------------------------------
def _creator_or_redirect(request: HttpRequest) -> HttpResponse | None:
    if not is_creator(request.user) or creator_selectors.creator_profile_for_user(user=request.user) is None:
        return redirect("creators:studio-become")
    return None


@require_GET
@login_required
def studio(request: HttpRequest) -> HttpResponse:
    """The creator's dashboard: their posts (drafts and scheduled too) and links to every tool."""
    if (response := _creator_or_redirect(request)) is not None:
        return response
    page = selectors.post_list_for_studio(creator=request.user, cursor=request.GET.get("cursor"), limit=50)
    cards = [presenters.post_card(request, post) for post in page.items]
    return render(request, "content/studio.html", {"cards": cards, "next_cursor": page.next_cursor})


def _parse_when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ApiError("Use a valid date and time.", code="validation_error", status=422)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


def _composer_fields(request: HttpRequest) -> dict[str, Any]:
    data = request.POST
    price = data.get("price", "").strip()
    access = data.get("access", Access.SUBSCRIBERS)
    price_minor = round(float(price) * 100) if price and access == Access.PPV else None
    return {
        "text": data.get("text", ""),
        "media_ids": data.getlist("media"),
        "access": access,
        "price_minor": price_minor,
        "currency": data.get("currency", "USD") if access == Access.PPV else "",
        "tier_ids": [int(t) for t in data.getlist("tiers") if t.isdigit()]
        if access in (Access.TIERS, Access.PPV)
        else [],
        "category": data.get("category", ""),
        "tags": [t for t in data.get("tags", "").replace(",", " ").split() if t],
        "publish_at": _parse_when(data.get("publish_at")),
        "expires_at": _parse_when(data.get("expires_at")),
    }


@require_http_methods(["GET", "POST"])
@login_required
def composer(request: HttpRequest, post_id: int | None = None) -> HttpResponse:
    """Write or edit a post: text, vault items, access rule, price, schedule, expiry, tags."""
    if (response := _creator_or_redirect(request)) is not None:
        return response
    post = None
    if post_id is not None:
        post = _post_or_404(request, post_id)
        if post.creator_id != request.user.pk:
            raise Http404
    if request.method == "POST":
        try:
            fields = _composer_fields(request)
            intent = request.POST.get("intent", "draft")
            if post is None:
                post = services.post_create(creator=request.user, publish=intent == "publish", **fields)
            else:
                if intent == "publish":
                    fields["publish"] = True
                services.post_update(user=request.user, post_id=post.pk, **fields)
            messages.success(request, "Saved.")
            return redirect("content:studio")
        except (ApiError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "Check the price."))
    vault = media_selectors.media_list_for_vault(owner=request.user, limit=100).items
    selected = (
        [str(item.media_id) for item in presenters.attachments_of(post)]
        if post
        else request.POST.getlist("media")
    )
    from fanclub.media.views import _card

    return render(
        request,
        "content/composer.html",
        {
            "post": post,
            "vault": [_card(item, request) for item in vault if item.state != MediaState.FAILED],
            "selected": selected,
            "tiers": creator_selectors.tier_list_offered(creator_id=int(request.user.pk or 0)),
            "post_tiers": [t.pk for t in presenters.tiers_of(post)] if post else [],
            "access_choices": Access.choices,
            "categories": Category.choices,
        },
    )


@require_GET
@login_required
def post_preview(request: HttpRequest, post_id: int) -> HttpResponse:
    """The post exactly as a fan without access sees it."""
    post = _post_or_404(request, post_id)
    if post.creator_id != request.user.pk:
        raise Http404
    offered = creator_selectors.tier_list_offered(creator_id=post.creator_id)
    card = presenters.post_card(request, post, offered=offered, force_locked=True)
    return render(request, "content/preview.html", {"card": card, "post": post})


@require_POST
@login_required
def post_action(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    try:
        if action == "publish":
            services.post_publish(user=request.user, post_id=post_id)
        elif action in ("pin", "unpin"):
            services.post_pin(user=request.user, post_id=post_id, pinned=action == "pin")
        elif action == "delete":
            services.post_delete(user=request.user, post_id=post_id)
        elif action == "blur-faces":
            services.post_media_blur_faces(
                user=request.user, post_id=post_id, media_id=request.POST.get("media", "")
            )
        else:
            raise Http404
    except ApiError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect("content:studio")
