"""Sliding-window rate limits kept in the gateway process, keyed by client address (or account).

Per process: with N gateway replicas a client gets at most N times the limit, which is what these limits
are for (blunting floods and guessing). The limits that must hold exactly across replicas — one-time codes
per number and per address — are counted in the database instead (gateway.identity.otp).
"""

from collections import deque
from datetime import datetime, timedelta

from shared.clock import Clock
from shared.errors import ProblemError
from shared.i18n import N_


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, retry_after: int, params: dict[str, object] | None = None) -> None:
        super().__init__(detail, params=params, retry_after=max(1, retry_after))
        self.retry_after = max(1, retry_after)


class SlidingWindow:
    """At most `limit` hits per key within `window`; keys that fall silent are forgotten."""

    def __init__(self, limit: int, window: timedelta, clock: Clock, *, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[datetime]] = {}

    def _prune(self, key: str, now: datetime) -> deque[datetime]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def _forget_idle(self, now: datetime) -> None:
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]

    def retry_after(self, key: str) -> int:
        """Seconds until the key may hit again; 0 when it may now."""
        now = self.clock.now()
        hits = self._prune(key, now)
        if len(hits) < self.limit:
            return 0
        return int((hits[0] + self.window - now).total_seconds()) + 1

    def hit(self, key: str, detail: str = N_("Too many requests; please wait a moment.")) -> None:
        """Count one hit, or raise 429 with Retry-After when the key is over its limit."""
        if wait := self.retry_after(key):
            raise TooManyRequests(detail, wait)
        self._hits[key].append(self.clock.now())

    def check(self, key: str, detail: str = N_("Too many requests; please wait a moment.")) -> None:
        """Raise 429 when the key is over its limit, without counting a hit (count failures with `hit`)."""
        if wait := self.retry_after(key):
            raise TooManyRequests(detail, wait)

    def count(self, key: str) -> int:
        """How many hits the key has in the window now."""
        return len(self._prune(key, self.clock.now()))

    def note(self, key: str) -> None:
        """Count one hit without checking the limit (a failure that was already answered)."""
        self._prune(key, self.clock.now()).append(self.clock.now())

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)
