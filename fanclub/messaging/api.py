"""Messaging API: conversations, messages, read receipts, paid messages, tips, gates, saved
replies, mass messages. Money-moving operations take an Idempotency-Key header (billing's)."""

from typing import Any

from django.http import HttpRequest
from ninja.responses import Status

from fanclub.accounts.auth import require_scope
from fanclub.accounts.models import User
from fanclub.billing import presenters as billing_presenters
from fanclub.billing import services as billing_services
from fanclub.billing.schemas import ChargeOut
from fanclub.billing.services.payments import Payment
from fanclub.core.schemas import ErrorOut, api_router
from fanclub.messaging import presenters, selectors, services
from fanclub.messaging.schemas import (
    AudienceIn,
    AudiencePreviewOut,
    ConversationIn,
    ConversationOut,
    ConversationPage,
    MassMessageIn,
    MassMessageOut,
    MessageIn,
    MessageOut,
    MessagePage,
    ReadIn,
    ReadOut,
    ReportIn,
    ReportOut,
    SavedReplyIn,
    SavedReplyOut,
    SettingsIn,
    SettingsOut,
    TipIn,
    UnlockIn,
    UnreadOut,
)

router = api_router(tags=["messaging"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 402: E, 403: E, 404: E, 409: E, 422: E, 429: E, 503: E}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _key(request: HttpRequest) -> str:
    return request.headers.get("Idempotency-Key", "")


def _payment(data: Any) -> Payment:
    return Payment(funding=data.funding, token=data.card_token)


@router.get("/messaging/conversations", response={200: ConversationPage, **ERRORS})
def list_conversations(request: HttpRequest, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """The inbox, most recent first, with unread counts. Two queries whatever the page size."""
    page = selectors.conversation_list_for_user(user=_user(request), cursor=cursor, limit=limit)
    return {"items": [presenters.conversation_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/messaging/conversations", response={200: ConversationOut, **ERRORS})
def open_conversation(request: HttpRequest, data: ConversationIn) -> dict[str, Any]:
    """The conversation with a user (created when new). 403 when a block stands between you."""
    user = _user(request)
    participant = services.conversation_open(user=user, handle=data.handle)
    gate = services.gate_requirement(fan=user, creator=participant.other)
    return presenters.conversation_out(participant, gate=gate)


@router.get("/messaging/conversations/{conversation_id}", response={200: ConversationOut, **ERRORS})
def get_conversation(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    user = _user(request)
    participant = selectors.participant_get(user=user, conversation_id=conversation_id)
    return presenters.conversation_out(
        participant,
        gate=services.gate_requirement(fan=user, creator=participant.other),
        other_last_read=selectors.other_last_read(participant=participant),
    )


@router.get("/messaging/conversations/{conversation_id}/messages", response={200: MessagePage, **ERRORS})
def list_messages(
    request: HttpRequest, conversation_id: int, cursor: str | None = None, limit: int = 30
) -> dict[str, Any]:
    """History, newest first (keyset cursor). At most five queries for any page size."""
    user = _user(request)
    participant, page = selectors.message_list(
        user=user, conversation_id=conversation_id, cursor=cursor, limit=limit
    )
    access = selectors.access_for(viewer_id=user.pk, messages=page.items)
    read_up_to = selectors.other_last_read(participant=participant)
    items = [
        presenters.message_out(m, viewer_id=user.pk, read_up_to=read_up_to, **access) for m in page.items
    ]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/messaging/conversations/{conversation_id}/messages", response={201: MessageOut, **ERRORS})
def send_message(request: HttpRequest, conversation_id: int, data: MessageIn) -> Status:
    """Send text and/or vault media (creators: optionally with a price). ``clientId`` makes retries
    safe. A creator whose gate is a price per message needs ``payment`` and an Idempotency-Key."""
    user = _user(request)

    def run() -> tuple[int, Any]:
        message = services.message_send(
            sender=user,
            conversation_id=conversation_id,
            text=data.text,
            media_ids=data.media_ids,
            price_minor=data.price_minor,
            currency=data.currency,
            client_id=data.client_id,
            payment=_payment(data.payment) if data.payment else None,
            idempotency_key=_key(request),
        )
        return 201, presenters.camel(presenters.message_out(message, viewer_id=user.pk))

    if data.payment is None:
        status, body = run()
    else:
        status, body = billing_services.idempotent(
            user_id=user.pk,
            key=_key(request),
            operation="send_message",
            params={**data.model_dump(), "conversation": conversation_id},
            run=run,
        )
    return Status(status, body)


@router.post("/messaging/conversations/{conversation_id}/read", response={200: ReadOut, **ERRORS})
def mark_conversation_read(request: HttpRequest, conversation_id: int, data: ReadIn) -> dict[str, Any]:
    participant = services.conversation_mark_read(
        user=_user(request), conversation_id=conversation_id, last_message_id=data.last_message_id
    )
    return {
        "conversation_id": participant.conversation_id,
        "last_read_message_id": participant.last_read_message_id,
        "unread_count": participant.unread_count,
    }


@router.post("/messaging/conversations/{conversation_id}/tips", response={201: ChargeOut, **ERRORS})
@require_scope("billing")
def send_conversation_tip(request: HttpRequest, conversation_id: int, data: TipIn) -> Status:
    user = _user(request)
    status, body = billing_services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation="send_conversation_tip",
        params={**data.model_dump(), "conversation": conversation_id},
        run=lambda: (
            201,
            billing_presenters.charge(
                services.conversation_tip_send(
                    fan=user,
                    conversation_id=conversation_id,
                    amount_minor=data.amount_minor,
                    currency=data.currency,
                    payment=_payment(data.payment),
                    idempotency_key=_key(request),
                    note=data.note,
                )
            ),
        ),
    )
    return Status(status, body)


@router.post("/messaging/messages/{message_id}/unlock", response={201: ChargeOut, **ERRORS})
@require_scope("billing")
def unlock_message(request: HttpRequest, message_id: int, data: UnlockIn) -> Status:
    """Buy a paid message (card or wallet credit); its media are then yours for good."""
    user = _user(request)
    status, body = billing_services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation="unlock_message",
        params={**data.model_dump(), "message": message_id},
        run=lambda: (
            201,
            billing_presenters.charge(
                services.message_unlock_buy(
                    fan=user,
                    message_id=message_id,
                    payment=_payment(data.payment),
                    idempotency_key=_key(request),
                )
            ),
        ),
    )
    return Status(status, body)


@router.post("/messaging/messages/{message_id}/report", response={201: ReportOut, **ERRORS})
def report_message(request: HttpRequest, message_id: int, data: ReportIn) -> Status:
    report = services.message_report(reporter=_user(request), message_id=message_id, reason=data.reason)
    return Status(201, {"id": report.pk, "message_id": report.message_id, "status": report.status})


@router.get("/messaging/unread", response={200: UnreadOut, **ERRORS})
def get_unread_messages_count(request: HttpRequest) -> dict[str, int]:
    return {"count": selectors.unread_total(user_id=_user(request).pk)}


@router.get("/messaging/settings", response={200: SettingsOut, **ERRORS})
def get_messaging_settings(request: HttpRequest) -> Any:
    return selectors.settings_for(user_id=_user(request).pk)


@router.put("/messaging/settings", response={200: SettingsOut, **ERRORS})
def update_messaging_settings(request: HttpRequest, data: SettingsIn) -> Any:
    """A creator's gate: open, subscribers only, a minimum tip, or a price per message."""
    return services.settings_update(
        user=_user(request),
        gate=data.gate,
        min_tip_minor=data.min_tip_minor,
        message_price_minor=data.message_price_minor,
        currency=data.currency,
    )


@router.get("/messaging/saved-replies", response={200: list[SavedReplyOut], **ERRORS})
def list_saved_replies(request: HttpRequest) -> list[Any]:
    return list(selectors.saved_replies_for(owner=_user(request))[:100])


@router.post("/messaging/saved-replies", response={201: SavedReplyOut, **ERRORS})
def create_saved_reply(request: HttpRequest, data: SavedReplyIn) -> Status:
    return Status(201, services.saved_reply_create(owner=_user(request), title=data.title, text=data.text))


@router.delete("/messaging/saved-replies/{reply_id}", response={204: None, **ERRORS})
def delete_saved_reply(request: HttpRequest, reply_id: int) -> Status:
    services.saved_reply_delete(owner=_user(request), reply_id=reply_id)
    return Status(204, None)


@router.post("/messaging/mass-messages/preview", response={200: AudiencePreviewOut, **ERRORS})
def preview_mass_message_audience(request: HttpRequest, data: AudienceIn) -> dict[str, Any]:
    """How many people a mass message to this audience would reach (blocks excluded)."""
    user = _user(request)
    services.mass.require_creator(user)
    count = services.audience_count(
        creator=user, audience=data.audience, tier_id=data.tier_id, list_id=data.list_id
    )
    return {"audience": data.audience, "recipients": count}


@router.get("/messaging/mass-messages", response={200: list[MassMessageOut], **ERRORS})
def list_mass_messages(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    services.mass.require_creator(user)
    return [presenters.mass_message_out(m) for m in selectors.mass_messages_for(creator=user)[:100]]


@router.post("/messaging/mass-messages", response={201: MassMessageOut, **ERRORS})
def create_mass_message(request: HttpRequest, data: MassMessageIn) -> Status:
    """Queue a message (optionally paid) to an audience; a job delivers it in batches."""
    mass = services.mass_message_create(
        creator=_user(request),
        text=data.text,
        audience=data.audience,
        media_ids=data.media_ids,
        price_minor=data.price_minor,
        currency=data.currency,
        tier_id=data.tier_id,
        list_id=data.list_id,
    )
    return Status(201, presenters.mass_message_out(mass))


@router.get("/messaging/mass-messages/{mass_message_id}", response={200: MassMessageOut, **ERRORS})
def get_mass_message(request: HttpRequest, mass_message_id: int) -> dict[str, Any]:
    """One mass message with its stats: sent, read, unlocked, revenue."""
    user = _user(request)
    services.mass.require_creator(user)
    mass = selectors.mass_message_get(creator=user, mass_message_id=mass_message_id)
    return presenters.mass_message_out(mass, stats=selectors.mass_message_stats(mass_message=mass))
