"""Web push for real: a local HTTP server plays the push service; the test decrypts what it got."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command

from fanclub.core.tests.recording_server import RecordingServer
from fanclub.integrations.webpush import vapid_keys_generate
from fanclub.notifications import constants as k
from fanclub.notifications import delivery
from fanclub.notifications.models import PushSubscription

pytestmark = pytest.mark.django_db


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def push_service() -> Iterator[RecordingServer]:
    """A local HTTP server that plays the push service."""
    service = RecordingServer()
    yield service
    service.stop()


@pytest.fixture
def vapid(settings: Any) -> tuple[str, str]:
    public, private = vapid_keys_generate()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:ops@fans.example"
    return public, private


def _browser_subscription(
    user: Any, endpoint: str
) -> tuple[PushSubscription, ec.EllipticCurvePrivateKey, bytes]:
    """What a browser creates: a P-256 key pair and a 16-byte auth secret, then registers."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = b"0123456789abcdef"
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    subscription = PushSubscription.objects.create(
        user=user, endpoint=endpoint, p256dh=_b64(public), auth=_b64(auth)
    )
    return subscription, key, auth


def test_push_is_encrypted_for_the_subscription_and_signed_with_vapid(make_user, push_service, vapid):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    subscription, key, auth = _browser_subscription(creator, f"{push_service.origin}/push/lena-phone")

    delivered = delivery.push_send(
        kind=k.TIP_RECEIVED,
        actor_id=fan.pk,
        data={"amount_minor": 700, "currency": "usd"},
        recipient_ids=[creator.pk],
    )

    assert delivered == 1
    (request,) = push_service.received
    assert request["path"] == "/push/lena-phone"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert int(request["headers"]["ttl"]) > 0
    payload = json.loads(
        http_ece.decrypt(request["body"], private_key=key, auth_secret=auth, version="aes128gcm")
    )
    assert payload == {
        "title": "Fanclub",
        "body": "fan sent you a tip of 7.00 USD",
        "url": "/billing/earnings/",
        "kind": "tip_received",
        "tag": "tip_received:",
    }
    # VAPID: "vapid t=<JWT signed by our private key>, k=<our public key>", audience = the push origin.
    scheme, _, params = request["headers"]["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid"
    assert fields["k"] == vapid[0]
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(vapid[0]))
    claims = jwt.decode(fields["t"], public_key, algorithms=["ES256"], audience=push_service.origin)
    assert claims["sub"] == "mailto:ops@fans.example"
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted_and_others_still_get_theirs(make_user, push_service, vapid, status):
    creator = make_user(handle="lena")
    _browser_subscription(creator, f"{push_service.origin}/push/old-laptop")
    _browser_subscription(creator, f"{push_service.origin}/push/phone")
    push_service.status["/push/old-laptop"] = status

    delivered = delivery.push_send(
        kind=k.LIKE_MILESTONE, actor_id=None, data={"post_id": 3, "likes": 10}, recipient_ids=[creator.pk]
    )

    assert delivered == 0  # like milestones are off for push by default: nothing sent
    from fanclub.notifications import services

    services.preferences_update(user_id=creator.pk, preferences={k.LIKE_MILESTONE: {"push": True}})
    delivered = delivery.push_send(
        kind=k.LIKE_MILESTONE, actor_id=None, data={"post_id": 3, "likes": 10}, recipient_ids=[creator.pk]
    )

    assert delivered == 1
    assert sorted(r["path"] for r in push_service.received) == ["/push/old-laptop", "/push/phone"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        f"{push_service.origin}/push/phone"
    ]


def test_a_failing_push_service_keeps_the_subscription(make_user, push_service, vapid):
    creator = make_user(handle="lena")
    _browser_subscription(creator, f"{push_service.origin}/push/phone")
    push_service.status["/push/phone"] = 503

    assert delivery.push_send(kind=k.NEW_FOLLOWER, actor_id=None, data={}, recipient_ids=[creator.pk]) == 0
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize("host", ["localhost", "127.1", "2130706433"])
def test_production_never_pushes_to_a_private_address(make_user, push_service, vapid, settings, host):
    # Stored as if the name had resolved to a public address when the browser registered it (DNS
    # rebinding), or written in a notation the registration check did not know: refused on connect.
    settings.MODE = "production"
    creator = make_user(handle="lena")
    port = push_service.origin.rsplit(":", 1)[1]
    _browser_subscription(creator, f"http://{host}:{port}/push/phone")

    assert delivery.push_send(kind=k.NEW_FOLLOWER, actor_id=None, data={}, recipient_ids=[creator.pk]) == 0
    assert push_service.received == []
    assert PushSubscription.objects.count() == 1  # not gone: the address may be public again later


def test_vapid_keys_command_prints_a_usable_pair():
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    public = _unb64(lines["VAPID_PUBLIC_KEY"])
    private = int.from_bytes(_unb64(lines["VAPID_PRIVATE_KEY"]), "big")
    assert len(public) == 65 and public[0] == 4
    derived = ec.derive_private_key(private, ec.SECP256R1()).public_key()
    assert (
        derived.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        == public
    )
