"""Reception statistics per station and period: visitors, issues raised, answered on the spot, followed up, resolved.

A period is a range of civil days in Asia/Shanghai; sessions count by the day they start.
"""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.logic.common import day_span
from services.station_scheduling.logic.stations import get_station
from services.station_scheduling.models import Booking, ReceptionRecord, ReceptionSession, Station
from services.station_scheduling.schemas import StationStatistics
from shared.errors import Unprocessable
from shared.pagination import PageParams, paginate

RESOLVED_CASE = ("resolved", "closed")
MAX_SPAN_DAYS = 3 * 366


def check_period(date_from: date, date_to: date) -> None:
    if not 0 <= (date_to - date_from).days <= MAX_SPAN_DAYS:
        raise Unprocessable("date_to must not come before date_from, and a period spans at most three years.")


async def _session_counts(db: AsyncSession, station_id: str, date_from: date, date_to: date) -> dict[str, int]:
    start, end = day_span(date_from, date_to)
    query = (
        select(ReceptionSession.status, func.count())
        .where(
            ReceptionSession.station_id == station_id,
            ReceptionSession.starts_at >= start,
            ReceptionSession.starts_at < end,
        )
        .group_by(ReceptionSession.status)
    )
    return dict((await db.execute(query)).all())


def _in_period(station_id: str, date_from: date, date_to: date):  # type: ignore[no-untyped-def]
    start, end = day_span(date_from, date_to)
    return (
        select(ReceptionSession.id)
        .where(ReceptionSession.station_id == station_id, ReceptionSession.status != "cancelled")
        .where(ReceptionSession.starts_at >= start, ReceptionSession.starts_at < end)
    )


async def station_statistics(db: AsyncSession, station: Station, date_from: date, date_to: date) -> StationStatistics:
    check_period(date_from, date_to)
    sessions = _in_period(station.id, date_from, date_to)
    visitors = select(func.count()).where(Booking.session_id.in_(sessions), Booking.status == "attended")
    records = (
        select(ReceptionRecord.outcome, ReceptionRecord.case_status, func.count())
        .where(ReceptionRecord.session_id.in_(sessions))
        .group_by(ReceptionRecord.outcome, ReceptionRecord.case_status)
    )
    answered = followed = follow_resolved = 0
    for outcome, case_status, count in (await db.execute(records)).all():
        if outcome == "answered":
            answered += count
        else:
            followed += count
            follow_resolved += count if case_status in RESOLVED_CASE else 0
    statuses = await _session_counts(db, station.id, date_from, date_to)
    return StationStatistics(
        station_id=station.id,
        station_name=station.name,
        date_from=date_from,
        date_to=date_to,
        sessions_held=statuses.get("held", 0),
        sessions_cancelled=statuses.get("cancelled", 0),
        visitors=(await db.execute(visitors)).scalar_one(),
        issues_raised=answered + followed,
        answered_on_the_spot=answered,
        followed_up=followed,
        follow_ups_resolved=follow_resolved,
        resolved=answered + follow_resolved,
    )


async def statistics_of(db: AsyncSession, station_id: str, date_from: date, date_to: date) -> StationStatistics:
    return await station_statistics(db, await get_station(db, station_id), date_from, date_to)


async def all_statistics(
    db: AsyncSession, params: PageParams, date_from: date, date_to: date
) -> tuple[list[StationStatistics], int]:
    check_period(date_from, date_to)
    stations, total = await paginate(db, select(Station).order_by(Station.code), params)
    return [await station_statistics(db, station, date_from, date_to) for station in stations], total
