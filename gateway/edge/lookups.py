"""Lookups by tracking code, limited per client address: a code opens a case's tracking view and its photos,
so guessing codes must be slow. Every lookup counts against TRACKING_PER_MINUTE; one that finds nothing (the
service answered 404) also counts against TRACKING_FAILURES_PER_HOUR and is logged; past either, 429 with
Retry-After. Lookups are: anything under /api/case-intake/cases/track/, a photo, thumbnail or voice note read
with `tracking_code`, and each code a live stream is asked to follow (`/api/live?track=`)."""

import logging
import re

from gateway.edge.ratelimit import SlidingWindow
from shared.i18n import N_

log = logging.getLogger(__name__)

PHOTO = re.compile(r"photos/[^/]+(/thumbnail)?/?|recordings/[^/]+/?")
TOO_MANY = N_("Too many look-ups by tracking code from this address; please wait.")
TOO_MANY_MISSES = N_("Too many tracking codes that name no case were tried from this address; please wait.")


def is_lookup(segment: str, rest: str, query: bytes) -> bool:
    """Whether a forwarded request (`/api/<segment>/<rest>?<query>`) looks a case up by its tracking code."""
    if segment != "case-intake":
        return False
    if rest.startswith("cases/track/"):
        return True
    return PHOTO.fullmatch(rest) is not None and b"tracking_code=" in query


class CodeLookups:
    """The two windows of one gateway process, keyed by client address."""

    def __init__(self, lookups: SlidingWindow, misses: SlidingWindow) -> None:
        self.lookups = lookups
        self.misses = misses

    def admit(self, client: str) -> None:
        """Count one lookup, or raise 429 (TooManyRequests) when the address is over either limit."""
        self.misses.check(client, TOO_MANY_MISSES)
        self.lookups.hit(client, TOO_MANY)

    def missed(self, client: str) -> None:
        self.misses.note(client)
        count = self.misses.count(client)
        log.warning("a tracking code that names no case was tried from %s (%s in the last hour)", client, count)
