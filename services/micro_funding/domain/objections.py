"""Objections to a public notice (公示): made under a real name, limited so that they cannot be used to block
approvals wholesale, and ruled on by the NPC office one at a time or many at once."""

import math
from datetime import datetime, timedelta

ACCOUNT_WINDOW = timedelta(days=1)
ADDRESS_WINDOW = timedelta(hours=1)
RULED = {True: "upheld", False: "dismissed"}
"""A ruling's outcome -> the objection's status."""


def seconds_until_free(oldest: datetime, window: timedelta, now: datetime) -> int:
    """Whole seconds until the oldest objection counted in `window` leaves it (at least 1): the Retry-After."""
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def ruling_needed(status: str, upheld: bool) -> bool:
    """Whether an objection in `status` still needs this ruling: a pending one does; one already ruled the same
    way does not (ruling again changes nothing); any other is a conflict (ValueError)."""
    if status == "pending":
        return True
    if status == RULED[upheld]:
        return False
    raise ValueError(status)
