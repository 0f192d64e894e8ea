"""Periods are China-time civil days: a range of days, both included, is a half-open range of UTC instants."""

from datetime import UTC, date, datetime, time

from shared.clock import CHINA

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 30)
"""The range of days an open-ended query stands for."""


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of China-time days `first` to `last`, both included."""
    start = datetime.combine(first, time.min, CHINA).astimezone(UTC)
    end = datetime.combine(date.fromordinal(last.toordinal() + 1), time.min, CHINA).astimezone(UTC)
    return start, end


def year_range(year: int) -> tuple[datetime, datetime]:
    return day_range(date(year, 1, 1), date(year, 12, 31))


def china_date(at: datetime) -> date:
    """The civil date in China of an instant."""
    return at.astimezone(CHINA).date()
