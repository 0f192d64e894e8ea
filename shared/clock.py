"""An injectable clock: deadlines and schedulers ask it for the time, so tests can move time."""

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
"""Every grid is in China: civil dates, working days, opening hours and calendar feeds are in Beijing time.
The one definition of the zone; nothing else names it."""


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock(Clock):
    """A clock tests set and advance."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class HasClock(Protocol):
    clock: Clock


def today(runtime: HasClock) -> date:
    """The civil date in China by the runtime's clock."""
    return runtime.clock.now().astimezone(CHINA).date()
