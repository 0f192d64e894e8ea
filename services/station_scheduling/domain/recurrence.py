"""Reception days from an RFC 5545 recurrence rule, expanded by python-dateutil, with bounded work.

dateutil keeps looking for a next occurrence up to the year 9999 when a rule stops matching (a rule for
30 February never matches), which costs seconds per request. The Gregorian calendar repeats every 400 years
(146,097 days, a whole number of weeks), so the rule is expanded over the same window moved close to 9999 and
the days are moved back: exactly the same days, and at most ~400 years of search.
"""

import itertools
from datetime import date, datetime, time

from dateutil.rrule import rrule, rrulestr

from shared.errors import Unprocessable

CYCLE_YEARS = 400
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
REFUSED_PARTS = {"DTSTART", "UNTIL", "COUNT", "BYHOUR", "BYMINUTE", "BYSECOND", "BYEASTER"}
MAX_INTERVAL = 99
MAX_DAYS = 100


def _parts(rule: str) -> dict[str, str]:
    body = rule.removeprefix("RRULE:")
    parts = dict(part.partition("=")[::2] for part in body.split(";") if part)
    if parts.get("FREQ") not in FREQUENCIES:
        raise Unprocessable("A rota repeats DAILY, WEEKLY, MONTHLY or YEARLY (FREQ=...).")
    refused = sorted(REFUSED_PARTS.intersection(parts))
    if refused:
        raise Unprocessable(
            "Leave out {refused}: the rota gives the dates and the time of day.", params={"refused": ", ".join(refused)}
        )
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL:
        raise Unprocessable("INTERVAL must be between 1 and {max_interval}.", params={"max_interval": MAX_INTERVAL})
    return parts


def reception_days(rule: str, starts_on: date, ends_on: date) -> list[date]:
    """The days from `starts_on` to `ends_on` (both included) on which the rule falls, at most MAX_DAYS."""
    _parts(rule)
    shift = (9998 - ends_on.year) // CYCLE_YEARS * CYCLE_YEARS
    start = datetime.combine(starts_on.replace(year=starts_on.year + shift), time(0))
    until = datetime.combine(ends_on.replace(year=ends_on.year + shift), time(23, 59, 59))
    try:
        parsed = rrulestr(rule.removeprefix("RRULE:"), dtstart=start)
        if not isinstance(parsed, rrule):
            raise ValueError("one RRULE only")
        moments = list(itertools.islice(parsed.replace(until=until), MAX_DAYS + 1))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise Unprocessable("Not a valid recurrence rule: {error}.", params={"error": error}) from error
    if len(moments) > MAX_DAYS:
        raise Unprocessable(
            "A rota makes at most {max_days} sessions; shorten the period or the rule.", params={"max_days": MAX_DAYS}
        )
    return sorted({moment.date().replace(year=moment.year - shift) for moment in moments})
