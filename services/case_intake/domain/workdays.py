"""Working days: weekends off, public holidays off, and weekends made working days (调休), in local time.

A deadline of N working days is the end (24:00 local time) of the N-th working day after the day it starts.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from shared.clock import CHINA

INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class WorkCalendar:
    """`overrides` maps a date to whether it is a working day, where that differs from Monday to Friday."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    zone: tzinfo = CHINA

    def is_working(self, day: date) -> bool:
        return self.overrides.get(day, day.weekday() < 5)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def end_of(self, day: date) -> datetime:
        """24:00 local time of `day`, as a UTC instant."""
        return datetime.combine(day + timedelta(days=1), time(0), self.zone).astimezone(UTC)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after the local day of `start` (days >= 1)."""
        if days < 1:
            raise ValueError("a deadline is at least one working day")
        day, counted = self.local_date(start), 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working(day)
        return self.end_of(day)

    def due_day(self, due_at: datetime) -> date:
        """The local day a deadline (an end of day) falls on."""
        return self.local_date(due_at - INSTANT)

    def after_deadline(self, due_at: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after the day a deadline (an end of day) fell on."""
        return self.add_working_days(due_at - INSTANT, days)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after the local day of `start`, up to and including the local day of `end`."""
        day, last, counted = self.local_date(start), self.local_date(end - INSTANT), 0
        while day < last:
            day += timedelta(days=1)
            counted += self.is_working(day)
        return counted
