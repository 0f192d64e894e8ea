"""Civil days in China: a session belongs to the day it starts in Beijing time, and periods are ranges of days.

Times are stored in UTC; what a person reads (a label, a day, a period's bounds) is in `shared.clock.CHINA`.
"""

from datetime import date, datetime, time, timedelta

from shared.clock import CHINA
from shared.errors import Unprocessable

MAX_SPAN_DAYS = 3 * 366


def local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA)


def local_label(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def day_start(day: date) -> datetime:
    """Midnight of a civil day in Asia/Shanghai, as an aware datetime."""
    return datetime.combine(day, time(0), CHINA)


def day_span(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[from 00:00, the day after `to` 00:00) in Asia/Shanghai."""
    return day_start(date_from), day_start(date_to + timedelta(days=1))


def check_period(date_from: date, date_to: date) -> None:
    """A statistics period: `date_to` not before `date_from`, at most three years."""
    if not 0 <= (date_to - date_from).days <= MAX_SPAN_DAYS:
        raise Unprocessable("date_to must not come before date_from, and a period spans at most three years.")
