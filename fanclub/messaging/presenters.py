"""A message as one viewer sees it: the only place that signs media URLs for messages.

The sender (and the recipient of a free message, or of a paid one they unlocked or whose every item
they already bought) gets the full viewing variants; a recipient of a locked paid message gets the
blurred preview of each item and the price. Signed URLs are bound to the viewer (``u<id>``), so a
payload pushed over the socket carries URLs only that user can use.
"""

from __future__ import annotations

from typing import Any

from fanclub.content.presenters import FULL_VARIANTS, PREVIEW_VARIANTS
from fanclub.media import delivery
from fanclub.media.constants import MediaState
from fanclub.messaging.models import Message


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _media(media: Any, *, viewer_id: int, full: bool) -> dict[str, Any]:
    ready = media.state == MediaState.READY and media.deleted_at is None
    wanted = (FULL_VARIANTS if full else PREVIEW_VARIANTS).get(media.kind, [])
    names = [name for name in wanted if ready and name in media.variants]
    urls = delivery.variant_urls(media=media, viewer=f"u{viewer_id}", variants=names) if names else {}
    return {
        "id": str(media.pk),
        "kind": media.kind,
        "ready": ready,
        "width": media.width,
        "height": media.height,
        "variants": [{"name": name, **data} for name, data in urls.items()],
    }


def message_out(
    message: Message,
    *,
    viewer_id: int,
    unlocked_ids: set[int] | frozenset[int] = frozenset(),
    owned_media_ids: set[str] | frozenset[str] = frozenset(),
    read_up_to: int = 0,
) -> dict[str, Any]:
    """``unlocked_ids``: messages the viewer bought; ``owned_media_ids``: vault items the viewer
    already owns through other messages; ``read_up_to``: the other side's last read message id."""
    attachments = [item.media for item in getattr(message, "attachment_list", None) or []]
    is_sender = message.sender_id == viewer_id
    paid = message.price_minor is not None
    already = bool(
        paid and not is_sender and attachments and all(str(m.pk) in owned_media_ids for m in attachments)
    )
    unlocked = message.pk in unlocked_ids
    has_access = is_sender or not paid or unlocked or already
    removed = message.removed_at is not None  # by a moderator: nothing of it is shown to anyone
    if removed:
        attachments = []
    return {
        "type": "message",
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "kind": message.kind,
        "text": "" if removed else message.text,
        "created_at": _iso(message.created_at),
        "price_minor": message.price_minor,
        "currency": message.currency or None,
        "tip_minor": message.tip_minor,
        "is_mine": is_sender,
        "is_locked": not has_access and not removed,
        "is_removed": removed,
        "is_unlocked": unlocked,
        "already_purchased": already and not unlocked,
        "is_read": is_sender and read_up_to >= message.pk,
        "media": [_media(m, viewer_id=viewer_id, full=has_access) for m in attachments],
    }


def event(message: Message, *, viewer_id: int, **access: Any) -> dict[str, Any]:
    """The socket event for a new (or newly unlocked) message."""
    return {"type": "message.new", "message": camel(message_out(message, viewer_id=viewer_id, **access))}


def camel(value: Any) -> Any:
    """snake_case keys to camelCase (socket payloads match the API's wire format)."""
    if isinstance(value, dict):
        return {_camel(key): camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_brief(user: Any) -> dict[str, Any]:
    profile = getattr(user, "creator_profile", None) if user.role == "creator" else None
    name = (profile.display_name if profile else "") or user.display_name or user.handle
    return {"id": user.pk, "handle": user.handle, "name": name, "is_creator": user.role == "creator"}


def conversation_out(
    participant: Any, *, gate: dict[str, Any] | None = None, other_last_read: int | None = None
) -> dict[str, Any]:
    return {
        "id": participant.conversation_id,
        "other": user_brief(participant.other),
        "unread_count": participant.unread_count,
        "last_message_at": participant.last_message_at,
        "last_message_preview": participant.last_message_preview,
        "last_read_message_id": participant.last_read_message_id,
        "other_last_read_message_id": other_last_read,
        "gate": _gate_out(gate),
    }


def _gate_out(gate: dict[str, Any] | None) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {
        "gate": gate["gate"],
        "message": gate["message"],
        "amount_minor": gate.get("amountMinor"),
        "currency": gate.get("currency"),
    }


def mass_message_out(mass: Any, *, stats: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": mass.pk,
        "text": mass.text,
        "audience": mass.audience,
        "tier_id": mass.tier_id,
        "list_id": mass.list_id,
        "price_minor": mass.price_minor,
        "currency": mass.currency or "USD",
        "media_ids": list(mass.media_ids),
        "state": mass.state,
        "sent_count": mass.sent_count,
        "created_at": mass.created_at,
        "completed_at": mass.completed_at,
        "stats": stats,
    }
