"""Pages: "Blocked and muted" settings, block/mute actions, and the creator's fan lists.

Every action is a POST form that also works without JavaScript (redirect back); with htmx the
same view returns the named partial it swaps. Permission checks live here and in the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.core.errors import ApiError
from fanclub.creators import selectors as creator_selectors
from fanclub.creators.permissions import is_creator
from fanclub.social import selectors, services


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _other(handle: str) -> Any:
    try:
        return selectors.user_get_by_handle(handle=handle)
    except ApiError as exc:
        raise Http404("No such user") from exc


# --- Blocked and muted ----------------------------------------------------------------------------
@require_GET
@login_required
def blocked_muted(request: HttpRequest) -> HttpResponse:
    """Settings: who I block and who I mute, each with an undo button (htmx removes the row)."""
    blocks = selectors.block_list_for_user(user=request.user, cursor=request.GET.get("blocks"), limit=50)
    mutes = selectors.mute_list_for_user(user=request.user, cursor=request.GET.get("mutes"), limit=50)
    return render(request, "social/blocked_muted.html", {"blocks": blocks, "mutes": mutes})


@require_POST
@login_required
def block_toggle(request: HttpRequest, handle: str) -> HttpResponse:
    """Block (``action=block``, the default) or unblock (``action=unblock``) a user."""
    other = _other(handle)
    try:
        if request.POST.get("action") == "unblock":
            services.block_delete(blocker=request.user, blocked=other)
            messages.success(request, f"You unblocked @{other.handle}.")
        else:
            services.block_create(blocker=request.user, blocked=other)
            messages.success(request, f"You blocked @{other.handle}.")
    except ApiError as exc:
        messages.error(request, exc.message)
    if _is_htmx(request):
        return HttpResponse("")  # the row or button disappears
    return _back(request, "social:blocked-muted")


@require_POST
@login_required
def mute_toggle(request: HttpRequest, handle: str) -> HttpResponse:
    """Mute (``action=mute``, the default) or unmute (``action=unmute``) a user."""
    other = _other(handle)
    muted = request.POST.get("action") != "unmute"
    try:
        if muted:
            services.mute_create(muter=request.user, muted=other)
        else:
            services.mute_delete(muter=request.user, muted=other)
    except ApiError as exc:
        messages.error(request, exc.message)
        muted = not muted
    if _is_htmx(request):
        if request.POST.get("from") == "settings":
            return HttpResponse("")
        return render(
            request, "social/_mute_button.html", {"handle": other.handle, "is_muted": muted, "next": ""}
        )
    return _back(request, "social:blocked-muted")


# --- Fan lists (creators) -------------------------------------------------------------------------
def _creator(request: HttpRequest) -> Any:
    if not is_creator(request.user) or creator_selectors.creator_profile_for_user(user=request.user) is None:
        raise Http404("Become a creator first")
    return request.user


@require_http_methods(["GET", "POST"])
@login_required
def fan_lists(request: HttpRequest) -> HttpResponse:
    """The creator's lists (create one here) and their followers, each with block and mute."""
    creator = _creator(request)
    if request.method == "POST":
        try:
            fan_list = services.fan_list_create(creator=creator, name=request.POST.get("name", ""))
            return redirect("social:fan-list-detail", list_id=fan_list.pk)
        except ApiError as exc:
            messages.error(request, exc.message)
    lists = selectors.fan_list_list_for_creator(
        creator_id=creator.pk, cursor=request.GET.get("cursor"), limit=100
    )
    followers = selectors.audience_list_for_creator(
        creator_id=creator.pk, cursor=request.GET.get("followers"), limit=50
    )
    muted = selectors.muted_user_ids(user_id=creator.pk)
    return render(
        request,
        "social/fan_lists.html",
        {"lists": lists, "followers": followers, "muted_ids": muted},
    )


def _list_page(request: HttpRequest, creator: Any, list_id: int) -> HttpResponse:
    try:
        fan_list = selectors.fan_list_get(creator_id=creator.pk, list_id=list_id)
        members = selectors.fan_list_member_list(
            creator_id=creator.pk, list_id=list_id, cursor=request.GET.get("cursor"), limit=100
        )
    except ApiError as exc:
        raise Http404("No such list") from exc
    context = {
        "fan_list": fan_list,
        "members": members,
        "muted_ids": selectors.muted_user_ids(user_id=creator.pk),
    }
    template = "social/fan_list.html#members" if _is_htmx(request) else "social/fan_list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def fan_list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """One list: its members and notes; POST renames it."""
    creator = _creator(request)
    if request.method == "POST":
        try:
            services.fan_list_rename(creator=creator, list_id=list_id, name=request.POST.get("name", ""))
            messages.success(request, "List renamed.")
        except ApiError as exc:
            if exc.status == 404:
                raise Http404("No such list") from exc
            messages.error(request, exc.message)
        return redirect("social:fan-list-detail", list_id=list_id)
    return _list_page(request, creator, list_id)


@require_POST
@login_required
def fan_list_delete(request: HttpRequest, list_id: int) -> HttpResponse:
    creator = _creator(request)
    try:
        services.fan_list_delete(creator=creator, list_id=list_id)
    except ApiError as exc:
        raise Http404("No such list") from exc
    messages.success(request, "List deleted.")
    return redirect("social:fan-lists")


@require_POST
@login_required
def fan_list_member_add(request: HttpRequest, list_id: int) -> HttpResponse:
    """Add a follower or subscriber by handle, with an optional note."""
    creator = _creator(request)
    try:
        selectors.fan_list_get(creator_id=creator.pk, list_id=list_id)
    except ApiError as exc:
        raise Http404("No such list") from exc
    try:
        services.fan_list_member_add(
            creator=creator,
            list_id=list_id,
            fan_handle=request.POST.get("handle", ""),
            note=request.POST.get("note", ""),
        )
    except ApiError as exc:
        messages.error(request, exc.message)
    if _is_htmx(request):
        return _list_page(request, creator, list_id)
    return _back(request, reverse("social:fan-list-detail", args=[list_id]))


@require_POST
@login_required
def fan_list_member_edit(request: HttpRequest, list_id: int, handle: str) -> HttpResponse:
    """Change a member's note (``action=save``) or take them off the list (``action=remove``)."""
    creator = _creator(request)
    try:
        if request.POST.get("action") == "remove":
            services.fan_list_member_remove(creator=creator, list_id=list_id, fan_handle=handle)
        else:
            services.fan_list_member_update(
                creator=creator, list_id=list_id, fan_handle=handle, note=request.POST.get("note", "")
            )
    except ApiError as exc:
        if exc.status == 404:
            raise Http404("No such member") from exc
        messages.error(request, exc.message)
    if _is_htmx(request):
        return _list_page(request, creator, list_id)
    return redirect("social:fan-list-detail", list_id=list_id)
