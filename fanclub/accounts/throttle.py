"""Failed sign-in counters on top of fanclub.core.ratelimit: slow down, then block; success resets.

Three sliding windows (settings.LOGIN_FAILURES_*): per account a short one (slow down: a few
failures a minute make the next try wait) and a long one (block for up to 15 minutes), and a long
one per IP (IPv6 counted per /64) against credential stuffing across accounts. Only failures are
counted; a successful sign-in clears the account's counters but not the IP's, so an attacker who
owns one account cannot launder a stuffing run through it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings

from fanclub.accounts.client import ip_bucket
from fanclub.core import ratelimit


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0
    blocked: bool = False  # True for the long lockout, False for the short slow-down

    @property
    def message(self) -> str:
        if self.blocked:
            minutes = max(1, round(self.retry_after_seconds / 60))
            return (
                "Too many failed sign-in attempts. Sign-in is blocked for about "
                f"{minutes} minute{'s' if minutes != 1 else ''}; you can also reset your password."
            )
        return f"Too many failed sign-in attempts. Wait {self.retry_after_seconds} seconds and try again."


def _account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"signin-fail:acct:{digest}"


def _rules() -> list[tuple[str, ratelimit.Rule, bool]]:
    slow_limit, slow_window = settings.LOGIN_FAILURES_SLOWDOWN
    block_limit, block_window = settings.LOGIN_FAILURES_BLOCK
    ip_limit, ip_window = settings.LOGIN_FAILURES_IP_BLOCK
    return [
        ("acct-slow", ratelimit.Rule(slow_limit, slow_window), False),
        ("acct-block", ratelimit.Rule(block_limit, block_window), True),
        ("ip-block", ratelimit.Rule(ip_limit, ip_window), True),
    ]


def _keys(email: str, ip: str | None) -> list[tuple[str, ratelimit.Rule, bool]]:
    keys = []
    for name, rule, blocking in _rules():
        subject = f"signin-fail:ip:{ip_bucket(ip)}" if name.startswith("ip") else _account_key(email)
        keys.append((f"{subject}:{name}", rule, blocking))
    return keys


def check(*, email: str, ip: str | None) -> Verdict:
    """May this sign-in attempt proceed? Counts nothing."""
    if not settings.RATE_LIMIT_ENABLED:
        return Verdict(True)
    backend = ratelimit.get_backend()
    worst: Verdict | None = None
    for key, rule, blocking in _keys(email, ip):
        decision = ratelimit.peek(backend, key, rule)
        if not decision.allowed:
            verdict = Verdict(False, decision.retry_after_seconds, blocking)
            if worst is None or verdict.retry_after_seconds > worst.retry_after_seconds:
                worst = verdict
    return worst or Verdict(True)


def record_failure(*, email: str, ip: str | None) -> None:
    if not settings.RATE_LIMIT_ENABLED:
        return
    backend = ratelimit.get_backend()
    for key, rule, _blocking in _keys(email, ip):
        ratelimit.decide(backend, key, rule)


def record_success(*, email: str, ip: str | None) -> None:
    backend = ratelimit.get_backend()
    for key, rule, _blocking in _keys(email, ip):
        if ":acct:" in key:
            ratelimit.clear(backend, key, rule)
