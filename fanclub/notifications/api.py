"""Notifications API: the list, unread count, mark read, preferences, web push subscriptions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.responses import Status

from fanclub.core.errors import NotFound
from fanclub.core.schemas import ErrorOut, api_router
from fanclub.notifications import constants as k
from fanclub.notifications import presenters, selectors, services
from fanclub.notifications.schemas import (
    NotificationOut,
    NotificationPageOut,
    PreferencesIn,
    PreferencesOut,
    PushSubscriptionDeleteIn,
    PushSubscriptionIn,
    PushSubscriptionOut,
    ReadAllOut,
    UnreadCountOut,
)

router = api_router(tags=["notifications"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 404: E, 422: E, 429: E}


def _uid(request: HttpRequest) -> int:
    """The signed-in caller's id (every operation here requires authentication)."""
    return int(request.user.pk or 0)


@router.get("/notifications", response={200: NotificationPageOut, **ERRORS})
def list_notifications(request: HttpRequest, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """The signed-in user's notifications, newest first (cursor-paginated)."""
    page = selectors.notification_list(user_id=_uid(request), cursor=cursor, limit=limit)
    return {
        "items": [presenters.notification_render(n) for n in page.items],
        "next_cursor": page.next_cursor,
        "unread_count": selectors.unread_count(user_id=_uid(request)),
    }


@router.get("/notifications/unread-count", response={200: UnreadCountOut, **ERRORS})
def get_unread_count(request: HttpRequest) -> dict[str, Any]:
    return {"unread_count": selectors.unread_count(user_id=_uid(request))}


@router.post("/notifications/read-all", response={200: ReadAllOut, **ERRORS})
def read_all_notifications(request: HttpRequest) -> dict[str, Any]:
    marked = services.notification_mark_all_read(user_id=_uid(request))
    return {"marked": marked, "unread_count": selectors.unread_count(user_id=_uid(request))}


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def read_notification(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    """Mark one notification read (idempotent); 404 if it is not the caller's."""
    notification = services.notification_mark_read(user_id=_uid(request), notification_id=notification_id)
    if notification is None:
        raise NotFound("No such notification.")
    return presenters.notification_render(notification)


def _preferences_out(user_id: int) -> dict[str, Any]:
    return {
        "kinds": selectors.preferences_for(user_id=user_id),
        "digest": selectors.email_digest_enabled(user_id=user_id),
        "labels": {kind.value: kind.label for kind in k.Kind},
        "in_app_required": sorted(k.IN_APP_REQUIRED),
    }


@router.get("/me/notification-preferences", response={200: PreferencesOut, **ERRORS})
def get_notification_preferences(request: HttpRequest) -> dict[str, Any]:
    """Channels (inApp, email, push) per kind, and whether email comes as a daily digest."""
    return _preferences_out(_uid(request))


@router.put("/me/notification-preferences", response={200: PreferencesOut, **ERRORS})
def update_notification_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    """Change channels for the kinds given (omitted kinds and channels keep their value)."""
    services.preferences_update(
        user_id=_uid(request),
        preferences={
            kind: channels.model_dump(exclude_none=True) for kind, channels in payload.kinds.items()
        },
        digest=payload.digest,
    )
    return _preferences_out(_uid(request))


@router.post("/me/push-subscriptions", response={201: PushSubscriptionOut, **ERRORS})
def create_push_subscription(request: HttpRequest, payload: PushSubscriptionIn) -> Status:
    """Register the browser's PushSubscription (the service worker's ``subscription.toJSON()``)."""
    subscription = services.push_subscription_save(
        user_id=_uid(request),
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, {"endpoint": subscription.endpoint, "vapid_public_key": settings.VAPID_PUBLIC_KEY})


@router.delete("/me/push-subscriptions", response={204: None, **ERRORS})
def delete_push_subscription(request: HttpRequest, payload: PushSubscriptionDeleteIn) -> Status:
    """Forget a subscription of the caller (idempotent)."""
    services.push_subscription_delete(user_id=_uid(request), endpoint=payload.endpoint)
    return Status(204, None)
