"""Idempotency keys for money-moving requests (L5; Stripe's contract, Brandur's Postgres design)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from fanclub.billing.models import IdempotencyRecord
from fanclub.core.errors import ApiError

MAX_KEY_LENGTH = 100


class IdempotencyKeyReused(ApiError):
    status = 422
    code = "idempotency_key_reused"


def fingerprint(*, operation: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    *, user_id: int, key: str, operation: str, params: dict[str, Any], run: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run ``run`` once per (user, key) and return its (status, body); a repeat returns the first.

    The record is inserted first, in the transaction that moves the money: a concurrent request
    with the same key waits on that insert (a unique index) until the first commits, then reads
    its stored result. If ``run`` raises, everything rolls back, the record included: failed
    requests (declined card, insufficient credit, validation) are not stored and may be retried.
    The same key with other parameters is a 422.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            f"An Idempotency-Key header of 1 to {MAX_KEY_LENGTH} printable characters is required.",
            status=422,
            code="idempotency_key_required",
        )
    digest = fingerprint(operation=operation, params=params)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_idempotencyrecord "
                "(user_id, key, operation, fingerprint, status_code, response, created_at) "
                "VALUES (%s, %s, %s, %s, 0, NULL, now()) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
                [user_id, key, operation, digest],
            )
            row = cursor.fetchone()
        if row is None:
            record = IdempotencyRecord.objects.get(user_id=user_id, key=key)
            if record.fingerprint != digest:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used with different parameters.",
                    details={"operation": record.operation},
                )
            return record.status_code, record.response
        status, body = run()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE billing_idempotencyrecord SET status_code = %s, response = %s::jsonb WHERE id = %s",
                [status, json.dumps(body), row[0]],
            )
        return status, body
