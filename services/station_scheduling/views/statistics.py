"""Reception statistics per station and period: visitors, issues raised, answered on the spot, followed up, resolved.

A period is a range of civil days in Asia/Shanghai; sessions count by the day they start.
"""

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.days import check_period, day_span
from services.station_scheduling.models import Booking, ReceptionRecord, ReceptionSession, Station
from services.station_scheduling.schemas import StationStatistics
from shared.messaging.catalogue import AWAITING_CONFIRMATION
from shared.pagination import Page, PageParams, paginate

RESOLVED_CASE = (AWAITING_CONFIRMATION, "closed")
"""A followed-up issue counts as resolved once its case is resolved (awaiting the villager) or closed."""


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


def _in_period(station_id: str, date_from: date, date_to: date) -> Select[tuple[str]]:
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


async def all_statistics(
    db: AsyncSession, params: PageParams, date_from: date, date_to: date
) -> Page[StationStatistics]:
    check_period(date_from, date_to)
    stations, total = await paginate(db, select(Station).order_by(Station.code), params)
    items = [await station_statistics(db, station, date_from, date_to) for station in stations]
    return Page(items=items, total=total, **params.model_dump())
