"""Studio pages of the creators app: become a creator, persona and legal identity, tiers, members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods, require_POST

from fanclub.accounts.models import User
from fanclub.core.errors import ApiError
from fanclub.creators import permissions, selectors, services
from fanclub.creators.constants import BOUNDARY_CATEGORIES, Archetype


@require_http_methods(["GET", "POST"])
@login_required
def become(request: HttpRequest) -> HttpResponse:
    if permissions.is_creator(request.user) and selectors.creator_profile_for_user(user=request.user):
        return redirect("content:studio")
    if request.method == "POST":
        try:
            services.creator_become(
                user=request.user,
                display_name=request.POST.get("display_name", ""),
                archetype=request.POST.get("archetype", Archetype.OTHER),
                bio=request.POST.get("bio", ""),
            )
            messages.success(request, "Welcome, creator! Add a tier and your first post.")
            return redirect("content:studio")
        except ApiError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "creators/become.html",
        {
            "archetypes": Archetype.choices,
            "allowed": permissions.can_become_creator(request.user) or permissions.is_creator(request.user),
        },
    )


def _creator_profile(request: HttpRequest):  # type: ignore[no-untyped-def]
    profile = selectors.creator_profile_for_user(user=request.user)
    if profile is None or not permissions.is_creator(request.user):
        raise Http404("Become a creator first")
    return profile


@require_http_methods(["GET", "POST"])
@login_required
def studio_profile(request: HttpRequest) -> HttpResponse:
    """Persona, boundaries, geo-blocking and masked mode; the legal identity in its own form."""
    profile = _creator_profile(request)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "legal":
                services.legal_identity_set(
                    user=request.user,
                    legal_name=request.POST.get("legal_name", ""),
                    date_of_birth=parse_date(request.POST.get("date_of_birth", "") or "") or None,
                    country=request.POST.get("country", ""),
                    address=request.POST.get("address", ""),
                    tax_id=request.POST.get("tax_id", ""),
                )
            else:
                links = []
                for line in request.POST.get("links", "").splitlines():
                    if line.strip():
                        label, _, url = line.strip().rpartition(" ")
                        links.append({"label": label, "url": url})
                services.creator_profile_update(
                    user=request.user,
                    display_name=request.POST.get("display_name", ""),
                    bio=request.POST.get("bio", ""),
                    archetype=request.POST.get("archetype", Archetype.OTHER),
                    links=links,
                    boundaries={
                        "does": request.POST.getlist("does"),
                        "doesNot": request.POST.getlist("does_not"),
                    },
                    blocked_countries=request.POST.get("blocked_countries", "").replace(",", " ").split(),
                    masked_mode=request.POST.get("masked_mode") == "on",
                )
            messages.success(request, "Saved.")
            return redirect("creators:studio-profile")
        except ApiError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "creators/profile_edit.html",
        {
            "profile": profile,
            "legal": selectors.legal_identity_for_owner(user=request.user),
            "archetypes": Archetype.choices,
            "categories": BOUNDARY_CATEGORIES.items(),
            "links_text": "\n".join(f"{link['label']} {link['url']}" for link in profile.links),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def studio_tiers(request: HttpRequest) -> HttpResponse:
    """The tiers editor (create, edit, archive) and complimentary memberships."""
    _creator_profile(request)
    if request.method == "POST":
        try:
            fields: dict[str, Any] = {
                "name": request.POST.get("name", ""),
                "price_minor": round(float(request.POST.get("price", "0") or 0) * 100),
                "currency": request.POST.get("currency", "USD"),
                "benefits": request.POST.get("benefits", ""),
                "member_cap": int(request.POST["member_cap"]) if request.POST.get("member_cap") else None,
                "welcome_message": request.POST.get("welcome_message", ""),
            }
            tier_id = request.POST.get("tier_id")
            if tier_id:
                services.tier_update(user=request.user, tier_id=int(tier_id), **fields)
            else:
                services.tier_create(user=request.user, **fields)
            messages.success(request, "Tier saved.")
            return redirect("creators:studio-tiers")
        except ApiError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, "Check the price and the member cap.")
    template = "creators/tiers.html#tier-list" if request.headers.get("HX-Request") else "creators/tiers.html"
    return render(
        request,
        template,
        {
            "tiers": selectors.tier_list_offered(creator_id=int(request.user.pk or 0)),
            "members": selectors.membership_list_for_creator(
                creator=request.user, cursor=None, limit=100
            ).items,
        },
    )


@require_POST
@login_required
def tier_archive(request: HttpRequest, tier_id: int) -> HttpResponse:
    _creator_profile(request)
    try:
        services.tier_archive(user=request.user, tier_id=tier_id)
    except ApiError as exc:
        raise Http404 from exc
    messages.success(request, "Tier archived. Current members keep access until their period ends.")
    return redirect("creators:studio-tiers")


@require_POST
@login_required
def member_grant(request: HttpRequest) -> HttpResponse:
    creator = request.user
    _creator_profile(request)
    fan = User.objects.filter(
        handle__iexact=request.POST.get("handle", "").lstrip("@"), is_active=True
    ).first()
    try:
        if fan is None:
            raise ApiError("No such account.")
        until = parse_date(request.POST.get("until", "") or "")
        services.membership_grant(
            creator=creator,
            fan=fan,
            tier_id=int(request.POST.get("tier_id", "0") or 0),
            current_period_end=timezone.make_aware(datetime.combine(until, datetime.min.time()))
            if until
            else None,
        )
        messages.success(request, f"@{fan.handle} now has complimentary access.")
    except ApiError as exc:
        messages.error(request, exc.message)
    return redirect("creators:studio-tiers")


@require_POST
@login_required
def member_end(request: HttpRequest, handle: str) -> HttpResponse:
    _creator_profile(request)
    fan = User.objects.filter(handle__iexact=handle).first()
    if fan is None or services.membership_end(creator=request.user, fan=fan) is None:
        raise Http404
    messages.success(request, f"Access of @{fan.handle} ended.")
    return redirect("creators:studio-tiers")
