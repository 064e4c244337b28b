"""Messaging pages: inbox, conversation (htmx + the live socket), paid-message checkout, tips,
reports, inbox settings and the mass-message composer. Thin views over services and selectors."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.accounts.models import User
from fanclub.billing import selectors as billing_selectors
from fanclub.billing import services as billing_services
from fanclub.billing.constants import AccountKind, Funding
from fanclub.billing.forms import CheckoutForm, TipForm
from fanclub.billing.services.payments import Payment
from fanclub.core.errors import ApiError, NotFound
from fanclub.creators.permissions import is_creator
from fanclub.media.constants import MediaState
from fanclub.media.selectors import media_qs_for_owner
from fanclub.messaging import presenters, selectors, services
from fanclub.messaging.constants import Audience
from fanclub.messaging.forms import MassMessageForm, ReportForm, SavedReplyForm, SendForm, SettingsForm
from fanclub.messaging.models import Message

VAULT_PICKER_SIZE = 60


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _participant(request: HttpRequest, conversation_id: int) -> Any:
    try:
        return selectors.participant_get(user=_me(request), conversation_id=conversation_id)
    except NotFound as exc:
        raise Http404("No such conversation") from exc


def _vault_choices(user: User) -> list[Any]:
    if not is_creator(user):
        return []
    return list(
        media_qs_for_owner(owner=user)
        .filter(state=MediaState.READY)
        .order_by("-created_at", "-id")[:VAULT_PICKER_SIZE]
    )


def _views(viewer: User, items: list[Message], read_up_to: int) -> list[dict[str, Any]]:
    access = selectors.access_for(viewer_id=viewer.pk, messages=items)
    return [presenters.message_out(m, viewer_id=viewer.pk, read_up_to=read_up_to, **access) for m in items]


def _wallet(user: User, currency: str) -> int:
    return billing_selectors.balances_for_owner(owner_id=user.pk).get((AccountKind.FAN_WALLET, currency), 0)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = selectors.conversation_list_for_user(user=_me(request), cursor=request.GET.get("cursor") or None)
    rows = [presenters.conversation_out(p) for p in page.items]
    template = (
        "messaging/inbox.html#rows"
        if _htmx(request) and request.GET.get("cursor")
        else "messaging/inbox.html"
    )
    return render(request, template, {"rows": rows, "next_cursor": page.next_cursor})


@login_required
@require_POST
def conversation_start(request: HttpRequest) -> HttpResponse:
    """Open (or find) the conversation with ``handle`` and go there."""
    handle = (request.POST.get("handle") or "").strip().lstrip("@")
    try:
        participant = services.conversation_open(user=_me(request), handle=handle)
    except NotFound as exc:
        raise Http404("No such user") from exc
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("messaging:inbox")
    return redirect("messaging:conversation-detail", conversation_id=participant.conversation_id)


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    me = _me(request)
    participant = _participant(request, conversation_id)
    try:
        _, page = selectors.message_list(
            user=me, conversation_id=conversation_id, cursor=request.GET.get("cursor") or None
        )
    except ApiError as exc:
        raise Http404("No such page") from exc
    read_up_to = selectors.other_last_read(participant=participant)
    items = list(reversed(_views(me, page.items, read_up_to)))
    if _htmx(request) and request.GET.get("cursor"):
        return render(
            request,
            "messaging/conversation.html#older",
            {"items": items, "next_cursor": page.next_cursor, "conversation_id": conversation_id},
        )
    if participant.unread_count:
        services.conversation_mark_read(user=me, conversation_id=conversation_id)
    context = {
        "conversation": presenters.conversation_out(
            participant, gate=services.gate_requirement(fan=me, creator=participant.other)
        ),
        "other": participant.other,
        "items": items,
        "next_cursor": page.next_cursor,
        "vault": _vault_choices(me),
        "saved_replies": list(selectors.saved_replies_for(owner=me)[:50]) if is_creator(me) else [],
        "is_creator": is_creator(me),
        "client_id": secrets.token_urlsafe(16),
        "idempotency_key": secrets.token_urlsafe(24),
        "last_id": max([0, *(item["id"] for item in items)]),
    }
    return render(request, "messaging/conversation.html", context)


@login_required
@require_GET
def message_fragment(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """One message as the viewer sees it (the page fetches it when the socket announces one)."""
    me = _me(request)
    participant = _participant(request, conversation_id)
    message = selectors._with_attachments(
        Message.objects.filter(pk=message_id, conversation_id=conversation_id)
    ).first()
    if message is None:
        raise Http404("No such message")
    (item,) = _views(me, [message], selectors.other_last_read(participant=participant))
    return render(
        request, "messaging/conversation.html#message", {"item": item, "conversation_id": conversation_id}
    )


@login_required
@require_POST
def message_send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    me = _me(request)
    participant = _participant(request, conversation_id)
    vault = _vault_choices(me)
    form = SendForm(request.POST, media_choices=[(str(m.pk), str(m.pk)) for m in vault])
    error = None
    message = None
    if not form.is_valid():
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        data = form.cleaned_data
        gate = services.gate_requirement(fan=me, creator=participant.other)
        payment = None
        if gate is not None and gate["gate"] == "price":
            payment = Payment(
                funding=data.get("funding") or Funding.CARD,
                token="".join(c for c in data.get("card_number", "") if c.isdigit()),
            )
        try:

            def run() -> Message:
                return services.message_send(
                    sender=me,
                    conversation_id=conversation_id,
                    text=data["text"],
                    media_ids=data["media_ids"],
                    price_minor=form.price_minor(),
                    client_id=data["client_id"],
                    payment=payment,
                    idempotency_key=data.get("idempotency_key") or "",
                )

            if payment is not None:
                _, body = billing_services.idempotent(
                    user_id=me.pk,
                    key=data.get("idempotency_key") or "",
                    operation="page_send_message",
                    params={
                        "conversation": conversation_id,
                        "text": data["text"],
                        "card": payment.token[-4:],
                    },
                    run=lambda: (201, {"id": run().pk}),
                )
                message = Message.objects.get(pk=body["id"])
            else:
                message = run()
        except ApiError as exc:
            error = exc.message
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return redirect("messaging:conversation-detail", conversation_id=conversation_id)
    if error:
        response = render(request, "messaging/conversation.html#composer-error", {"error": error})
        response["HX-Retarget"] = "#composer-error"
        response["HX-Reswap"] = "innerHTML"
        return response
    assert message is not None
    message = selectors._with_attachments(Message.objects.filter(pk=message.pk)).get()
    (item,) = _views(me, [message], 0)
    return render(
        request, "messaging/conversation.html#message", {"item": item, "conversation_id": conversation_id}
    )


def _run_once(request: HttpRequest, form: Any, *, operation: str, params: dict[str, Any], run: Any) -> bool:
    try:
        billing_services.idempotent(
            user_id=_me(request).pk,
            key=form.cleaned_data["idempotency_key"],
            operation=operation,
            params=params,
            run=lambda: (201, {"id": str(run().pk)}),
        )
    except ApiError as exc:
        form.add_error(None, exc.message)
        return False
    return True


def _payment(form: CheckoutForm) -> Payment:
    if form.cleaned_data["funding"] == Funding.WALLET:
        return Payment(funding=Funding.WALLET)
    return Payment(funding=Funding.CARD, token=form.cleaned_data["card_number"])


@login_required
@require_http_methods(["GET", "POST"])
def message_unlock(request: HttpRequest, message_id: int) -> HttpResponse:
    """Checkout for a paid message the viewer received (card or wallet credit)."""
    me = _me(request)
    message = Message.objects.select_related("sender").filter(pk=message_id, recipient_id=me.pk).first()
    if message is None or message.price_minor is None:
        raise Http404("No such paid message")
    back = reverse("messaging:conversation-detail", args=[message.conversation_id]) + f"#m-{message.pk}"
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _run_once(
            request,
            form,
            operation="page_unlock_message",
            params={
                "message": message.pk,
                "funding": form.cleaned_data["funding"],
                "card": form.cleaned_data.get("card_number", "")[-4:],
            },
            run=lambda: services.message_unlock_buy(
                fan=me,
                message_id=message.pk,
                payment=_payment(form),
                idempotency_key=form.cleaned_data["idempotency_key"],
            ),
        )
        if done:
            messages.success(request, "Unlocked. It is yours to keep.")
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "messaging/checkout.html",
        {
            "form": form,
            "title": "Unlock this message",
            "action": "Unlock",
            "other": message.sender,
            "amount_minor": message.price_minor,
            "currency": message.currency,
            "wallet_minor": _wallet(me, message.currency),
            "idempotency_key": secrets.token_urlsafe(24),
            "back": back,
            "kind": "unlock",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_tip(request: HttpRequest, conversation_id: int) -> HttpResponse:
    me = _me(request)
    participant = _participant(request, conversation_id)
    if not is_creator(participant.other):
        raise Http404("Only creators receive tips")
    back = reverse("messaging:conversation-detail", args=[conversation_id])
    form = TipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _run_once(
            request,
            form,
            operation="page_conversation_tip",
            params={
                "conversation": conversation_id,
                "amount": form.amount_minor(),
                "funding": form.cleaned_data["funding"],
            },
            run=lambda: services.conversation_tip_send(
                fan=me,
                conversation_id=conversation_id,
                amount_minor=form.amount_minor(),
                currency="USD",
                payment=_payment(form),
                idempotency_key=form.cleaned_data["idempotency_key"],
                note=form.cleaned_data.get("note", ""),
            ),
        )
        if done:
            messages.success(request, "Tip sent. Thank you!")
            return redirect(back)
    return render(
        request,
        "messaging/checkout.html",
        {
            "form": form,
            "title": "Send a tip",
            "action": "Send tip",
            "other": participant.other,
            "amount_minor": None,
            "currency": "USD",
            "wallet_minor": _wallet(me, "USD"),
            "idempotency_key": secrets.token_urlsafe(24),
            "back": back,
            "kind": "tip",
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def message_report(request: HttpRequest, message_id: int) -> HttpResponse:
    me = _me(request)
    message = Message.objects.filter(pk=message_id, recipient_id=me.pk).first()
    if message is None:
        raise Http404("No such message")
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for the report.")
    else:
        try:
            services.message_report(reporter=me, message_id=message.pk, reason=form.cleaned_data["reason"])
            messages.success(request, "Thanks, the report was sent to the moderators.")
        except ApiError as exc:
            messages.error(request, exc.message)
    return redirect("messaging:conversation-detail", conversation_id=message.conversation_id)


def _require_creator(request: HttpRequest) -> User:
    me = _me(request)
    if not is_creator(me):
        raise PermissionDenied("Creators only")
    return me


@login_required
@require_http_methods(["GET", "POST"])
def messaging_settings(request: HttpRequest) -> HttpResponse:
    me = _require_creator(request)
    current = selectors.settings_for(user_id=me.pk)
    form = SettingsForm(
        request.POST if request.POST.get("action") == "gate" else None,
        initial={"gate": current.gate},
    )
    reply_form = SavedReplyForm(request.POST if request.POST.get("action") == "reply" else None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "gate" and form.is_valid():
                services.settings_update(
                    user=me,
                    gate=form.cleaned_data["gate"],
                    min_tip_minor=form.minor(form.cleaned_data.get("min_tip")),
                    message_price_minor=form.minor(form.cleaned_data.get("message_price")),
                )
                messages.success(request, "Inbox settings saved.")
                return redirect("messaging:settings")
            if request.POST.get("action") == "reply" and reply_form.is_valid():
                services.saved_reply_create(owner=me, **reply_form.cleaned_data)
                messages.success(request, "Saved reply added.")
                return redirect("messaging:settings")
            if request.POST.get("action") == "delete_reply":
                services.saved_reply_delete(owner=me, reply_id=int(request.POST.get("reply_id") or 0))
                return redirect("messaging:settings")
        except (ApiError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "Invalid request."))
        status = 422
    context = {
        "form": form,
        "reply_form": reply_form,
        "current": current,
        "replies": selectors.saved_replies_for(owner=me),
    }
    return render(request, "messaging/settings.html", context, status=status)


def _tiers(user: User) -> list[Any]:
    from fanclub.creators.models import Tier

    return list(Tier.objects.filter(creator_id=user.pk, is_archived=False).order_by("position", "id"))


@login_required
@require_http_methods(["GET", "POST"])
def mass_messages(request: HttpRequest) -> HttpResponse:
    """The composer (audience, text, vault media, optional price) and the sent list with stats."""
    me = _require_creator(request)
    vault = _vault_choices(me)
    form = MassMessageForm(request.POST or None, media_choices=[(str(m.pk), str(m.pk)) for m in vault])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.mass_message_create(
                    creator=me,
                    text=data["text"],
                    audience=data["audience"],
                    media_ids=data["media_ids"],
                    price_minor=form.price_minor(),
                    tier_id=data.get("tier_id"),
                    list_id=data.get("list_id"),
                )
                messages.success(request, "Queued: your message is on its way.")
                return redirect("messaging:mass-messages")
            except ApiError as exc:
                form.add_error(None, exc.message)
        status = 422
    sent = [
        {"mass": mass, "stats": selectors.mass_message_stats(mass_message=mass)}
        for mass in selectors.mass_messages_for(creator=me)[:20]
    ]
    context = {"form": form, "vault": vault, "tiers": _tiers(me), "audiences": Audience.choices, "sent": sent}
    return render(request, "messaging/mass.html", context, status=status)


@login_required
@require_POST
def mass_message_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the audience's size and the message as a recipient will see it."""
    me = _require_creator(request)
    form = MassMessageForm(request.POST, media_choices=[(str(m.pk), str(m.pk)) for m in _vault_choices(me)])
    context: dict[str, Any] = {"error": None, "recipients": None}
    if form.is_valid():
        data = form.cleaned_data
        try:
            context["recipients"] = services.audience_count(
                creator=me,
                audience=data["audience"],
                tier_id=data.get("tier_id"),
                list_id=data.get("list_id"),
            )
        except ApiError as exc:
            context["error"] = exc.message
        context.update(text=data["text"], price_minor=form.price_minor(), media_count=len(data["media_ids"]))
    else:
        context["error"] = "Check the form."
    return render(request, "messaging/mass.html#preview", context)
