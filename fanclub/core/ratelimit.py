"""One rate-limiting mechanism: a sliding-window counter, in Redis when configured.

The estimate for a key is ``previous_window_count * (1 - elapsed_fraction) + current_window_count``
(the approach Cloudflare documents): O(1) memory per key, smooth at window edges. Only allowed
requests are counted, so a client that keeps hammering while blocked does not extend its block.
Limits are declared per route in ``ROUTE_LIMITS`` (by URL name) and applied per IP and per user.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class Rule:
    limit: int
    window_seconds: int = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int


class Backend(Protocol):
    def counts(self, key: str, window: int, now: float, rule: Rule) -> tuple[bool, int, int]:
        """Atomically read (previous, current) counts and count one hit if it is under the limit."""
        ...


def _window_index(now: float, window: int) -> int:
    return int(now // window)


def _estimate(previous: int, current: int, now: float, window: int) -> float:
    elapsed_fraction = (now % window) / window
    return previous * (1 - elapsed_fraction) + current


def decide(backend: Backend, key: str, rule: Rule, now: float | None = None) -> Decision:
    now = time.time() if now is None else now
    window = rule.window_seconds
    allowed, previous, current = backend.counts(key, window, now, rule)
    estimate = _estimate(previous, current, now, window)
    elapsed = now % window
    reset = max(1, math.ceil(window - elapsed))
    if allowed:
        remaining = max(0, math.floor(rule.limit - estimate))
        return Decision(True, rule.limit, remaining, reset, 0)
    return Decision(False, rule.limit, 0, reset, _retry_after(previous, current, elapsed, rule))


def _retry_after(previous: int, current: int, elapsed: float, rule: Rule) -> int:
    """Seconds until one more request fits under the limit."""
    window, limit = rule.window_seconds, rule.limit
    if current < limit and previous > 0:
        # Within this window the previous count's weight decays until the estimate drops below limit.
        wait = window * (1 - (limit - 1 - current) / previous) - elapsed
        return max(1, math.ceil(wait))
    # Must reach the next window; there, today's count becomes "previous" and decays in turn.
    to_next = window - elapsed
    decay = window * (1 - (limit - 1) / current) if current > 0 else 0
    return max(1, math.ceil(to_next + max(0.0, decay)))


def peek(backend: Backend, key: str, rule: Rule, now: float | None = None) -> Decision:
    """Would one more hit on ``key`` be allowed? Counts nothing (used for failure-only counters,
    such as failed sign-ins, that are checked before and counted after the attempt)."""
    now = time.time() if now is None else now
    window = rule.window_seconds
    previous, current = backend.peek(key, window, now)  # type: ignore[attr-defined]
    elapsed = now % window
    reset = max(1, math.ceil(window - elapsed))
    estimate = _estimate(previous, current + 1, now, window)
    if estimate <= rule.limit:
        return Decision(True, rule.limit, max(0, math.floor(rule.limit - estimate)), reset, 0)
    return Decision(False, rule.limit, 0, reset, _retry_after(previous, current, elapsed, rule))


def clear(backend: Backend, key: str, rule: Rule, now: float | None = None) -> None:
    """Forget the hits counted on ``key`` (a successful sign-in resets its failure counter)."""
    backend.clear(key, rule.window_seconds, time.time() if now is None else now)  # type: ignore[attr-defined]


class MemoryBackend:
    """In-process counters: correct for a single process only (zero-setup mode without Redis)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def counts(self, key: str, window: int, now: float, rule: Rule) -> tuple[bool, int, int]:
        index = _window_index(now, window)
        with self._lock:
            previous = self._counts.get((key, index - 1), 0)
            current = self._counts.get((key, index), 0)
            allowed = _estimate(previous, current + 1, now, window) <= rule.limit
            if allowed:
                current += 1
                self._counts[(key, index)] = current
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= index - 1}
        return allowed, previous, current

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def peek(self, key: str, window: int, now: float) -> tuple[int, int]:
        index = _window_index(now, window)
        with self._lock:
            return self._counts.get((key, index - 1), 0), self._counts.get((key, index), 0)

    def clear(self, key: str, window: int, now: float) -> None:
        index = _window_index(now, window)
        with self._lock:
            self._counts.pop((key, index - 1), None)
            self._counts.pop((key, index), None)


_LUA = """
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local allowed = 0
if previous * weight + current + 1 <= limit then
  current = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
  allowed = 1
end
return {allowed, previous, current}
"""


class RedisBackend:
    """Counters in Redis, shared by every web process; the check-and-count is one Lua script."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_LUA)

    def counts(self, key: str, window: int, now: float, rule: Rule) -> tuple[bool, int, int]:
        index = _window_index(now, window)
        weight = 1 - (now % window) / window
        allowed, previous, current = self._script(
            keys=[f"rl:{key}:{index - 1}", f"rl:{key}:{index}"],
            args=[repr(weight), rule.limit, window * 2],
        )
        return bool(allowed), int(previous), int(current)

    def peek(self, key: str, window: int, now: float) -> tuple[int, int]:
        index = _window_index(now, window)
        previous, current = self._client.mget([f"rl:{key}:{index - 1}", f"rl:{key}:{index}"])
        return int(previous or 0), int(current or 0)

    def clear(self, key: str, window: int, now: float) -> None:
        index = _window_index(now, window)
        self._client.delete(f"rl:{key}:{index - 1}", f"rl:{key}:{index}")


_backend: Backend | None = None
_backend_lock = threading.Lock()


def get_backend() -> Backend:
    global _backend
    if _backend is None:
        with _backend_lock:
            if _backend is None:
                _backend = RedisBackend(settings.REDIS_URL) if settings.REDIS_URL else MemoryBackend()
    return _backend


def set_backend(backend: Backend | None) -> None:
    """Swap the backend (tests use this to run the same checks against memory and Redis)."""
    global _backend
    _backend = backend


# Per-route limits, by URL name. Routes not listed get the default per-minute limits from settings.
# Later issues add their sensitive routes here (sign-in, token, payments...).
ROUTE_LIMITS: dict[str, Rule] = {}


def rules_for(view_name: str | None, *, authenticated: bool) -> Rule:
    if view_name and view_name in ROUTE_LIMITS:
        return ROUTE_LIMITS[view_name]
    per_minute = settings.RATE_LIMIT_USER_PER_MINUTE if authenticated else settings.RATE_LIMIT_ANON_PER_MINUTE
    return Rule(limit=per_minute, window_seconds=60)


def headers_for(decision: Decision) -> dict[str, str]:
    headers = {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after_seconds)
    return headers
