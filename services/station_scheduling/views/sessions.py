"""How sessions are shown: the public announcement, with the deputies on duty, agency staff and places taken."""

import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.bookings import PLACE_TAKEN
from services.station_scheduling.domain.days import day_span
from services.station_scheduling.models import AgencyStaff, Booking, DutyDeputy, KnownDeputy, ReceptionSession
from services.station_scheduling.schemas import AgencyStaffRead, DutyRead, SessionRead
from shared.pagination import Page, PageParams, paginate


async def session_page(
    db: AsyncSession,
    params: PageParams,
    *,
    station_id: str | None = None,
    status: str | None = None,
    mode: str | None = None,
    deputy_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Page[SessionRead]:
    """A page of sessions as announced, in time order, filtered."""
    query = select(ReceptionSession).order_by(ReceptionSession.starts_at, ReceptionSession.id)
    if station_id:
        query = query.where(ReceptionSession.station_id == station_id)
    if status:
        query = query.where(ReceptionSession.status == status)
    if mode:
        query = query.where(ReceptionSession.mode == mode)
    if deputy_id:
        on_duty = select(DutyDeputy.session_id).where(DutyDeputy.deputy_id == deputy_id)
        query = query.where(ReceptionSession.id.in_(on_duty))
    if date_from:
        query = query.where(ReceptionSession.starts_at >= day_span(date_from, date_from)[0])
    if date_to:
        query = query.where(ReceptionSession.starts_at < day_span(date_to, date_to)[1])
    items, total = await paginate(db, query, params)
    return Page(items=await describe(db, items), total=total, **params.model_dump())


async def describe(db: AsyncSession, receptions: list[ReceptionSession]) -> list[SessionRead]:
    """Sessions as announced, with names of the deputies on duty, agency staff and how many places are taken."""
    ids = [reception.id for reception in receptions]
    duty_query = (
        select(DutyDeputy.session_id, DutyDeputy.deputy_id, DutyDeputy.linked, KnownDeputy.name)
        .join(KnownDeputy, KnownDeputy.id == DutyDeputy.deputy_id, isouter=True)
        .where(DutyDeputy.session_id.in_(ids))
        .order_by(DutyDeputy.deputy_id)
    )
    duties: dict[str, list[DutyRead]] = {}
    for row in (await db.execute(duty_query)).all():
        duties.setdefault(row.session_id, []).append(
            DutyRead(deputy_id=row.deputy_id, name=row.name or "", linked=row.linked)
        )
    staff_query = select(AgencyStaff).where(AgencyStaff.session_id.in_(ids)).order_by(AgencyStaff.joined_at)
    staff: dict[str, list[AgencyStaffRead]] = {}
    for item in (await db.execute(staff_query)).scalars():
        staff.setdefault(item.session_id, []).append(AgencyStaffRead.model_validate(item))
    counts = await _counts(db, ids)
    return [_read(reception, duties, staff, counts) for reception in receptions]


async def _counts(db: AsyncSession, ids: list[str]) -> dict[tuple[str, str], int]:
    query = (
        select(Booking.session_id, Booking.status, func.count())
        .where(Booking.session_id.in_(ids))
        .group_by(Booking.session_id, Booking.status)
    )
    return {(row[0], row[1]): row[2] for row in (await db.execute(query)).all()}


def _read(
    reception: ReceptionSession,
    duties: dict[str, list[DutyRead]],
    staff: dict[str, list[AgencyStaffRead]],
    counts: dict[tuple[str, str], int],
) -> SessionRead:
    fields = {name: getattr(reception, name) for name in SessionRead.model_fields if hasattr(reception, name)}
    fields.update(
        deputies=duties.get(reception.id, []),
        agency_staff=staff.get(reception.id, []),
        confirmed=sum(counts.get((reception.id, status), 0) for status in PLACE_TAKEN),
        waitlisted=counts.get((reception.id, "waitlisted"), 0),
        warnings=json.loads(reception.warnings),
    )
    return SessionRead.model_validate(fields)


async def describe_one(db: AsyncSession, reception: ReceptionSession) -> SessionRead:
    return (await describe(db, [reception]))[0]
