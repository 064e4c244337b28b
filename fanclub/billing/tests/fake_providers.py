"""Local stand-ins for the payment providers' HTTP APIs (Stripe, CCBill) on 127.0.0.1.

The providers are not our system, so the tests run our adapters unchanged against servers that
answer like them: the same paths, authentication, body encodings, idempotency and error shapes.
Each server records every request it receives; ``fail_next`` queues provider-side failures.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

STRIPE_TEST_KEY = "sk_test_fanclub_local_0123456789"
CCBILL_CLIENT_ID = "ccbill-client-id"
CCBILL_CLIENT_SECRET = "ccbill-client-secret"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None

    def header(self, name: str) -> str:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower(), "")


def closed_port_url() -> str:
    """A loopback address nothing listens on: the provider is unreachable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FakeProvider:
    """A threaded HTTP server on a random loopback port; subclasses answer ``handle``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Recorded(
                    method="POST",
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length),
                )
                with provider.lock:
                    provider.requests.append(request)
                    status, payload, extra = provider.handle(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail_next(self, *kinds: str) -> None:
        """Answer the next calls with these failures, in order."""
        with self.lock:
            self.failures.extend(kinds)

    def _next_failure(self) -> str:
        return self.failures.pop(0) if self.failures else ""

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def calls(self, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    @contextmanager
    def running(self) -> Iterator[FakeProvider]:
        self.thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _stripe_error(status: int, **error: Any) -> tuple[int, Any, dict[str, str]]:
    return status, {"error": error}, {"Request-Id": f"req_{uuid.uuid4().hex[:14]}"}


class FakeStripe(FakeProvider):
    """Stripe's v1 API for PaymentIntents (create + confirm), refunds and payouts.

    Idempotency as Stripe documents it: the first result for a key (success, decline or 500) is
    stored and replayed for the same parameters; other parameters are a 400 idempotency_error;
    a rate-limited (429) request is not stored, so its retry runs.
    Failures for ``fail_next``: "decline", "rate_limit", "server_error", "requires_action".
    """

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[str, tuple[dict[str, str], tuple[int, Any, dict[str, str]]]] = {}
        self.intents: dict[str, dict[str, Any]] = {}

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        authorization = request.header("Authorization")
        if not authorization.startswith("Bearer sk_test_") or authorization != f"Bearer {STRIPE_TEST_KEY}":
            return _stripe_error(401, type="invalid_request_error", message="Invalid API Key provided.")
        if not request.header("Content-Type").startswith("application/x-www-form-urlencoded"):
            return _stripe_error(400, type="invalid_request_error", message="Form-encoded bodies only.")
        request.params = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        key = request.header("Idempotency-Key")
        if key and key in self.stored:
            params, response = self.stored[key]
            if params != request.params:
                return _stripe_error(
                    400,
                    type="idempotency_error",
                    message="Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            status, payload, headers = response
            return status, payload, {**headers, "Idempotent-Replayed": "true"}
        failure = self._next_failure()
        if failure == "rate_limit":
            return _stripe_error(
                429, type="invalid_request_error", code="rate_limit", message="Too many requests."
            )
        if failure == "server_error":
            response = _stripe_error(500, type="api_error", message="An unknown error occurred.")
        else:
            response = self._route(request, failure)
        if key and response[0] != 429:
            self.stored[key] = (request.params, response)
        return response

    def _route(self, request: Recorded, failure: str) -> tuple[int, Any, dict[str, str]]:
        params = request.params
        headers = {"Request-Id": f"req_{uuid.uuid4().hex[:14]}"}
        for name in {
            "/v1/payment_intents": ("amount", "currency"),
            "/v1/payouts": ("amount", "currency"),
        }.get(request.path, ()):
            if name not in params:
                return _stripe_error(
                    400, type="invalid_request_error", code="parameter_missing", param=name, message=name
                )
        if "amount" in params and not params["amount"].isdigit():
            return _stripe_error(
                400, type="invalid_request_error", code="parameter_invalid_integer", param="amount"
            )
        if "currency" in params and (
            params["currency"] != params["currency"].lower() or len(params["currency"]) != 3
        ):
            return _stripe_error(400, type="invalid_request_error", code="invalid_currency", param="currency")
        if request.path == "/v1/payment_intents":
            intent_id = f"pi_{uuid.uuid4().hex[:24]}"
            if failure == "decline":
                return _stripe_error(
                    402,
                    type="card_error",
                    code="card_declined",
                    decline_code="insufficient_funds",
                    message="Your card has insufficient funds.",
                    payment_intent={
                        "id": intent_id,
                        "object": "payment_intent",
                        "status": "requires_payment_method",
                    },
                )
            status = "succeeded" if params.get("confirm") == "true" else "requires_confirmation"
            if failure == "requires_action":
                status = "requires_action"
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": int(params["amount"]) if status == "succeeded" else 0,
                "currency": params["currency"],
                "payment_method": params.get("payment_method"),
                "status": status,
                "latest_charge": f"ch_{uuid.uuid4().hex[:24]}" if status == "succeeded" else None,
                "livemode": False,
            }
            self.intents[intent_id] = intent
            return 200, intent, headers
        if request.path == "/v1/refunds":
            intent = self.intents.get(params.get("payment_intent", ""))
            if intent is None:
                return _stripe_error(
                    400, type="invalid_request_error", code="resource_missing", param="payment_intent"
                )
            refunded = intent.setdefault("refunded", 0)
            amount = int(params.get("amount") or intent["amount"] - refunded)
            if amount > intent["amount"] - refunded:
                return _stripe_error(
                    400, type="invalid_request_error", code="amount_too_large", param="amount"
                )
            intent["refunded"] = refunded + amount
            refund = {
                "id": f"re_{uuid.uuid4().hex[:24]}",
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "status": "succeeded",
            }
            return 200, refund, headers
        if request.path == "/v1/payouts":
            payout = {
                "id": f"po_{uuid.uuid4().hex[:24]}",
                "object": "payout",
                "amount": int(params["amount"]),
                "currency": params["currency"],
                "status": "pending",
            }
            return 200, payout, headers
        return _stripe_error(
            404, type="invalid_request_error", message=f"Unrecognized request URL (POST: {request.path})."
        )


class FakeCCBill(FakeProvider):
    """CCBill's RESTful API: the OAuth client-credentials token, then a payment-token charge.

    Failures for ``fail_next`` (on the charge): "decline" (HTTP 200, approved false, as CCBill
    answers a declined card), "server_error" (500), "bad_credentials" (on the token call).
    """

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/ccbill-auth/oauth/token":
            expected = base64.b64encode(f"{CCBILL_CLIENT_ID}:{CCBILL_CLIENT_SECRET}".encode()).decode()
            request.params = dict(parse_qsl(request.body.decode()))
            if self.failures and self.failures[0] == "bad_credentials":
                self.failures.pop(0)
                return 401, {"error": "invalid_client", "error_description": "Bad client credentials"}, {}
            if request.header("Authorization") != f"Basic {expected}":
                return (
                    401,
                    {"error": "unauthorized", "error_description": "Full authentication is required"},
                    {},
                )
            if request.params.get("grant_type") != "client_credentials":
                return 400, {"error": "unsupported_grant_type"}, {}
            token = uuid.uuid4().hex
            self.tokens.add(token)
            return (
                200,
                {"access_token": token, "token_type": "bearer", "expires_in": 3600, "scope": "read"},
                {},
            )
        if request.path.startswith("/transactions/payment-tokens/"):
            bearer = request.header("Authorization").removeprefix("Bearer ")
            if bearer not in self.tokens:
                return 401, {"error": "invalid_token"}, {}
            try:
                request.json = json.loads(request.body)
            except ValueError:
                return 400, {"errorCode": 400, "generalMessage": "Malformed JSON"}, {}
            failure = self._next_failure()
            if failure == "server_error":
                return 500, {"errorCode": 500, "generalMessage": "Internal Server Error"}, {}
            if failure == "decline":
                return (
                    200,
                    {
                        "declineCode": 24,
                        "declineText": "Insufficient Funds",
                        "denialId": "1234567890",
                        "approved": False,
                        "paymentUniqueId": None,
                        "sessionId": None,
                        "subscriptionId": None,
                        "newPaymentTokenId": None,
                    },
                    {},
                )
            return (
                200,
                {
                    "declineCode": None,
                    "declineText": None,
                    "denialId": None,
                    "approved": True,
                    "paymentUniqueId": uuid.uuid4().hex[:20],
                    "sessionId": None,
                    "subscriptionId": 1000000000 + len(self.requests),
                    "newPaymentTokenId": None,
                },
                {},
            )
        return 404, {"errorCode": 404, "generalMessage": "Not Found"}, {}
