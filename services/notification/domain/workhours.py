"""Working hours, for "still unaccepted 2 working hours after it was routed": Monday to Friday, 08:30–17:30
Beijing time.

Why its own rule here: case intake's working days (services/case_intake/domain/workdays.py) count whole days
and know the office's calendar of holidays and swapped weekend days (调休) from its own reference data, which
no event carries and no service may import. The notification service therefore counts hours on an ordinary
week: on a public holiday that falls on a weekday the hours run as on any weekday (the SMS may come on the
holiday), and on a swapped working Saturday they do not run (it comes on the Monday instead). Both only move a
reminder; no deadline is computed from them."""

from datetime import date, datetime, time, timedelta

from shared.clock import CHINA

OPENS = time(8, 30)
CLOSES = time(17, 30)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=CHINA)


def _next_opening(moment: datetime) -> datetime:
    """`moment` if it is within working hours, else the next 08:30 of a working day (Beijing time)."""
    local = moment.astimezone(CHINA)
    day = local.date()
    if is_working_day(day) and _at(day, OPENS) <= local < _at(day, CLOSES):
        return local
    if is_working_day(day) and local < _at(day, OPENS):
        return _at(day, OPENS)
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return _at(day, OPENS)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` working hours after `start` (in `start`'s time zone): time outside 08:30–17:30 on
    Monday to Friday does not count, so 2 hours from Friday 17:00 is Monday 10:00."""
    if hours < 0:
        raise ValueError("working hours are counted forwards")
    remaining = timedelta(hours=hours)
    current = _next_opening(start)
    while True:
        left_today = _at(current.date(), CLOSES) - current
        if remaining <= left_today:
            return (current + remaining).astimezone(start.tzinfo)
        remaining -= left_today
        current = _next_opening(_at(current.date(), CLOSES))
