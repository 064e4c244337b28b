"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), via pywebpush."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

if TYPE_CHECKING:
    import requests


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class PushResult:
    status: int  # HTTP status of the push service; 0 when it could not be reached

    @property
    def gone(self) -> bool:
        """404/410: the subscription expired or was revoked; never try it again."""
        return self.status in (404, 410)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def vapid_keys_generate() -> tuple[str, str]:
    """A new VAPID key pair: (public key for the browser, private key), both base64url (raw bytes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(public), _b64url(private)


def push_send(
    *,
    target: PushTarget,
    payload: bytes,
    vapid_private_key: str,
    subject: str,
    ttl: int = 86400,
    timeout: float = 10,
    session: requests.Session | None = None,
) -> PushResult:
    """Encrypt ``payload`` for the subscription and POST it to its push service, through ``session``
    when given (``integrations.outbound.public_session()``: never to a non-public address, status 0
    then), otherwise requests' own."""
    from pywebpush import WebPushException, webpush

    try:
        response = webpush(
            subscription_info={
                "endpoint": target.endpoint,
                "keys": {"p256dh": target.p256dh, "auth": target.auth},
            },
            data=payload,
            vapid_private_key=vapid_private_key,
            vapid_claims={"sub": subject},
            ttl=ttl,
            timeout=timeout,
            requests_session=session,
        )
    except WebPushException as exc:
        return PushResult(status=exc.response.status_code if exc.response is not None else 0)
    except OSError:
        return PushResult(status=0)
    return PushResult(status=int(getattr(response, "status_code", 0)))
