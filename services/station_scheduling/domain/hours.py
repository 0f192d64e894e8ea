"""When a session may be held: inside one opening window of its day, and announced far enough ahead.

Opening windows are wall-clock times in Asia/Shanghai, on an ISO weekday or on a day of the month.
"""

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Protocol

from services.station_scheduling.domain.days import local
from shared.errors import Unprocessable


class Window(Protocol):
    """An opening window (the station's `OpeningWindow` row or its schema)."""

    weekday: int | None
    month_day: int | None
    opens: time
    closes: time


class Announcer(Protocol):
    """What the notice rule needs of a station: how many days ahead its sessions are announced."""

    notice_days: int


def within_hours(windows: Sequence[Window], starts_at: datetime, ends_at: datetime) -> bool:
    """Whether [starts_at, ends_at) fits inside one opening window of its (Asia/Shanghai) day."""
    start, end = local(starts_at), local(ends_at)
    if end.date() != start.date():
        return False
    return any(
        (window.weekday == start.isoweekday() or window.month_day == start.day)
        and window.opens <= start.time()
        and end.time() <= window.closes
        for window in windows
    )


def check_notice(
    station: Announcer, starts_at: datetime, moment: datetime, short_notice_reason: str | None
) -> list[str]:
    """Sessions are announced `notice_days` ahead (3 by default); a shorter notice needs a reason and is flagged."""
    if starts_at <= moment:
        raise Unprocessable("A session cannot start in the past.")
    if starts_at >= moment + timedelta(days=station.notice_days):
        return []
    if not short_notice_reason:
        raise Unprocessable(
            "Sessions are announced at least {notice_days} days ahead; give short_notice_reason to announce one later.",
            params={"notice_days": station.notice_days},
        )
    return [f"short notice: {short_notice_reason}"]
