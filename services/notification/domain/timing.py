"""When a notice may go: quiet hours in Beijing time (21:00–08:00) except for urgent cases, and the backoff
between attempts of a failed send; the day a deadline falls on."""

from datetime import date, datetime, time, timedelta

from shared.clock import CHINA

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
BACKOFF_SECONDS = (5, 30, 120, 600, 1800, 3600)
"""The wait before the 2nd, 3rd, … attempt; the last one repeats until the attempts run out."""


def not_before(
    now: datetime, *, urgent: bool, quiet_from: time = QUIET_FROM, quiet_until: time = QUIET_UNTIL
) -> datetime:
    """The earliest time a notice made `now` may be sent: now, or 08:00 Beijing time after a quiet night."""
    if urgent:
        return now
    local = now.astimezone(CHINA)
    clock = local.timetz().replace(tzinfo=None)
    if quiet_from <= clock:
        morning = (local + timedelta(days=1)).date()
    elif clock < quiet_until:
        morning = local.date()
    else:
        return now
    return datetime.combine(morning, quiet_until, tzinfo=CHINA).astimezone(now.tzinfo)


def due_day(deadline: datetime) -> date:
    """The Beijing day a deadline falls on (case intake's deadlines are the end of their day, 24:00)."""
    return (deadline - timedelta(microseconds=1)).astimezone(CHINA).date()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 = the first)."""
    index = min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1
    return timedelta(seconds=BACKOFF_SECONDS[index])
