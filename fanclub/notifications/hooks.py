"""One-line entry points other apps' services call inside their transactions (domain events)."""

from __future__ import annotations

from typing import Any

from fanclub.notifications import constants as k
from fanclub.notifications import fanout, services

EXCERPT_CHARS = 80


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


def post_published(*, post_id: int) -> None:
    """A post became live (published now, or its scheduled time came): fan out in a job."""
    fanout.new_post_fanout_defer(post_id=post_id)


def comment_created(*, comment: Any, post: Any) -> None:
    """Tell the creator about a comment on their post (not their own)."""
    services.notify(
        recipient_id=post.creator_id,
        kind=k.COMMENT,
        actor_id=comment.author_id,
        data={"post_id": post.pk, "comment_id": comment.pk, "excerpt": _excerpt(comment.text)},
    )


def post_liked(*, post_id: int) -> None:
    """After a like was counted: at 10, 100 and 1000 likes the creator hears of it (once each)."""
    from fanclub.content.models import Post

    row = Post.objects.filter(pk=post_id).values_list("creator_id", "likes_count").first()
    if row is not None and row[1] in k.LIKE_MILESTONES:
        services.notify(
            recipient_id=row[0], kind=k.LIKE_MILESTONE, data={"post_id": post_id, "likes": row[1]}
        )


# --- Billing --------------------------------------------------------------------------------------
def tip_received(*, charge: Any) -> None:
    """A tip went through: tell the creator who sent how much (once per charge). In a job: a tip
    is the API's hottest write, and this adds one query to it instead of eight."""
    services.notify_later(
        recipient_id=charge.creator_id,
        kind=k.TIP_RECEIVED,
        actor_id=charge.fan_id,
        data={
            "amount_minor": charge.amount_minor,
            "currency": charge.currency,
            "charge_id": str(charge.pk),
            **({"post_id": charge.post_id} if getattr(charge, "post_id", None) else {}),
        },
    )


def subscription_started(*, subscription: Any) -> None:
    """A fan subscribed (paid or trial): tell the creator (once per subscription)."""
    services.notify(
        recipient_id=subscription.creator_id,
        kind=k.NEW_SUBSCRIBER,
        actor_id=subscription.fan_id,
        data={"tier_name": subscription.tier.name, "subscription_id": subscription.pk},
    )


def renewal_failed(*, subscription: Any) -> None:
    """A renewal charge failed: the fan must update their payment method (an account notice)."""
    services.notify(
        recipient_id=subscription.fan_id,
        kind=k.PAYMENT_PROBLEM,
        data={
            "reason": f"your subscription renewal for {subscription.tier.name} could not be charged",
            "subscription_id": subscription.pk,
        },
    )


def payout_sent(*, payout: Any) -> None:
    """A payout left for the creator's bank (once per payout)."""
    services.notify(
        recipient_id=payout.creator_id,
        kind=k.PAYOUT_SENT,
        data={"amount_minor": payout.amount_minor, "currency": payout.currency, "payout_id": str(payout.pk)},
    )


# --- Moderation (no actor: nobody learns which moderator decided) ---------------------------------
def message_report_resolved(
    *, report_id: int, reporter_id: int, outcome: str, conversation_id: int | None
) -> None:
    """A moderator closed a report: tell the reporter the outcome ("actioned" or "dismissed")."""
    services.notify(
        recipient_id=reporter_id,
        kind=k.MODERATION_RESULT,
        data={
            "event": k.MODERATION_REPORT_REVIEWED,
            "subject": f"message_report:{report_id}",
            "report_id": report_id,
            "outcome": outcome,
            **({"conversation_id": conversation_id} if conversation_id is not None else {}),
        },
    )


def message_removed(*, message_id: int, sender_id: int, conversation_id: int, reason: str) -> None:
    """A moderator removed a message: tell its sender why."""
    services.notify(
        recipient_id=sender_id,
        kind=k.MODERATION_RESULT,
        data={
            "event": k.MODERATION_MESSAGE_REMOVED,
            "subject": f"message_removed:{message_id}",
            "message_id": message_id,
            "conversation_id": conversation_id,
            "reason": reason,
        },
    )


def post_removed(*, post_id: int, creator_id: int, text: str, reason: str) -> None:
    """A moderator removed a post: tell its creator which one and why."""
    services.notify(
        recipient_id=creator_id,
        kind=k.MODERATION_RESULT,
        data={
            "event": k.MODERATION_POST_REMOVED,
            "subject": f"post_removed:{post_id}",
            "post_id": post_id,
            "excerpt": _excerpt(text),
            "reason": reason,
        },
    )
