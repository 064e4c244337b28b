"""How a notification reads: one sentence, a link, and the JSON shape the API and socket share."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from fanclub.notifications import constants as k
from fanclub.notifications.models import Notification


def _money(data: dict[str, Any]) -> str:
    amount = data.get("amount_minor")
    currency = str(data.get("currency") or "").upper()
    if not isinstance(amount, int):
        return ""
    units, cents = divmod(amount, 100)
    return f"{units}.{cents:02d} {currency}".strip()


def _excerpt(data: dict[str, Any]) -> str:
    text = str(data.get("excerpt") or "")
    return f": “{text}”" if text else ""


def _moderation_text(data: dict[str, Any]) -> str:
    """A moderation outcome, in the words of "our moderators": never which one decided."""
    event = data.get("event")
    reason = str(data.get("reason") or "").strip()
    because = f". Reason: {reason}" if reason else ""
    if event == k.MODERATION_REPORT_REVIEWED:
        if data.get("outcome") == "actioned":
            return "Our moderators reviewed your report and removed the message"
        return "Our moderators reviewed your report and found no rule broken, so the message stays"
    if event == k.MODERATION_MESSAGE_REMOVED:
        return f"A message you sent was removed by our moderators{because}"
    if event == k.MODERATION_POST_REMOVED:
        excerpt = str(data.get("excerpt") or "")
        post = f"Your post “{excerpt}”" if excerpt else "Your post"
        return f"{post} was removed by our moderators{because}"
    message = data.get("message")
    return str(message) if message else "A moderator reviewed your content"


def notification_text(*, kind: str, actor_name: str, data: dict[str, Any]) -> str:
    """The sentence shown in the list, the email subject line and the push title."""
    who = actor_name or "Someone"
    if kind == k.NEW_FOLLOWER:
        return f"{who} started following you"
    if kind == k.NEW_SUBSCRIBER:
        tier = data.get("tier_name")
        return f"{who} subscribed to you" + (f" ({tier})" if tier else "")
    if kind == k.NEW_POST:
        return f"{who} posted something new{_excerpt(data)}"
    if kind == k.COMMENT:
        return f"{who} commented on your post{_excerpt(data)}"
    if kind == k.LIKE_MILESTONE:
        return f"Your post reached {data.get('likes', 'a milestone of')} likes"
    if kind == k.TIP_RECEIVED:
        return f"{who} sent you a tip of {_money(data)}".rstrip()
    if kind == k.PAYMENT_PROBLEM:
        reason = data.get("reason")
        return "A payment did not go through" + (f": {reason}" if reason else "")
    if kind == k.PAYOUT_SENT:
        return f"Your payout of {_money(data)} is on its way"
    if kind == k.MODERATION_RESULT:
        return _moderation_text(data)
    if kind == k.MESSAGE:
        return f"New message from {who}{_excerpt(data)}"
    return "You have a new notification"


def notification_url(*, kind: str, actor_handle: str, data: dict[str, Any]) -> str:
    """Where clicking the notice leads (always a path on this site)."""
    post_id = data.get("post_id")
    if kind in (k.NEW_POST, k.COMMENT, k.LIKE_MILESTONE) and isinstance(post_id, int):
        return reverse("content:post-detail", args=[post_id])
    if kind in (k.NEW_FOLLOWER, k.NEW_SUBSCRIBER) and actor_handle:
        return (
            reverse("content:creator-profile", args=[actor_handle]) if data.get("actor_is_creator") else "/"
        )
    if kind == k.TIP_RECEIVED:
        return reverse("billing:earnings")
    if kind == k.PAYOUT_SENT:
        return reverse("billing:payouts")
    if kind == k.PAYMENT_PROBLEM:
        return reverse("billing:subscriptions")
    if kind == k.MODERATION_RESULT:
        conversation_id = data.get("conversation_id")
        if data.get("event") == k.MODERATION_POST_REMOVED:
            return reverse("content:studio")  # the post itself is gone: the creator's own posts
        if isinstance(conversation_id, int):
            return reverse("messaging:conversation-detail", args=[conversation_id])
    url = data.get("url")
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return url
    return reverse("notifications:list")


def notification_render(notification: Notification) -> dict[str, Any]:
    """The notice as the API, the socket and push payloads show it (camelCase keys)."""
    actor = notification.actor
    actor_name = (actor.display_name or actor.handle) if actor is not None else ""
    actor_handle = actor.handle if actor is not None else ""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification_text(kind=notification.kind, actor_name=actor_name, data=notification.data),
        "url": notification_url(kind=notification.kind, actor_handle=actor_handle, data=notification.data),
        "actor": {"handle": actor_handle, "displayName": actor_name} if actor is not None else None,
        "data": notification.data,
        "createdAt": notification.created_at.isoformat(),
        "readAt": notification.read_at.isoformat() if notification.read_at else None,
    }
