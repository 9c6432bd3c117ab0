"""`TokenBucket`: a small per-connection rate limit (bursts allowed, a steady rate after).

    bucket = TokenBucket(RateLimit(burst=20, per_second=5))
    if not bucket.take():
        ...  # over the limit

Used by `ComponentConsumer` to bound the work one WebSocket can ask for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """At most `burst` actions at once, refilled at `per_second` actions a second."""

    burst: int
    per_second: float


class TokenBucket:
    """Counts tokens of one `RateLimit`; `take()` spends one if there is one."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._last = clock()

    def take(self) -> bool:
        """Spend a token: True if one was left, False if the caller is over the limit."""
        now = self._clock()
        refill = (now - self._last) * self.limit.per_second
        self._tokens = min(float(self.limit.burst), self._tokens + refill)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
