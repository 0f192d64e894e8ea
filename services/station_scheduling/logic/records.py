"""Reception records (当面提、当面议、当面答): answered on the spot, or followed up through a linked case.

A follow-up gets a case id here and `station.issue.raised.v1` carries it; case intake opens the case under
that id (channel `station`), and the case events that name it bring its progress back to the record.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.logic.bookings import add_booking, get_booking, mark_attended
from services.station_scheduling.logic.common import get_reception, now, redact
from services.station_scheduling.logic.sessions import duty_ids
from services.station_scheduling.models import DutyDeputy, KnownGrid, ReceptionRecord, ReceptionSession
from services.station_scheduling.schemas import Outcome, RecordCreate
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import CaseAssigned, CaseSubmitted, CaseTransitioned, StationIssueRaised
from shared.pagination import PageParams, paginate
from shared.service import ServiceRuntime

PENDING = "pending"  # the issue was raised; case intake has not yet confirmed the case


async def _visitor(db: AsyncSession, runtime: ServiceRuntime, reception: ReceptionSession, data: RecordCreate):  # type: ignore[no-untyped-def]
    if data.booking_id is None:
        return await add_booking(db, runtime, reception, "attended", kind="walk_in", owner=None, topic=data.summary)
    booking = await get_booking(db, data.booking_id)
    if booking.session_id != reception.id:
        raise Unprocessable("This booking is for another session.")
    await mark_attended(db, booking, runtime)
    return booking


async def _check_grid(db: AsyncSession, grid_id: str) -> None:
    grid = await db.get(KnownGrid, grid_id)
    if grid is None or grid.level != "group" or grid.status != "active":
        raise Unprocessable("Choose the visitor's village group or residential compound (the lowest grid level).")


async def create_record(
    db: AsyncSession, runtime: ServiceRuntime, session_id: str, data: RecordCreate, recorded_by: str
) -> ReceptionRecord:
    """Record one visitor's issue; a follow-up raises `station.issue.raised.v1` in the same transaction."""
    reception = await get_reception(db, session_id, lock=True)
    moment = now(runtime)
    if reception.status == "cancelled" or moment < reception.starts_at:
        raise Conflict("Visitors are recorded once a session has started, and never at a cancelled one.")
    await _check_grid(db, data.grid_id)
    booking = await _visitor(db, runtime, reception, data)
    follow_up = data.outcome == Outcome.follow_up
    record = ReceptionRecord(
        id=str(uuid.uuid4()),
        session_id=reception.id,
        station_id=reception.station_id,
        booking_id=booking.id,
        recorded_by=recorded_by,
        recorded_at=moment,
        case_id=str(uuid.uuid4()) if follow_up else None,
        case_status=PENDING if follow_up else None,
        **data.model_dump(exclude={"booking_id", "summary"}),
        summary=redact(data.summary),
    )
    db.add(record)
    await db.flush()
    if follow_up:
        await runtime.emit(db, await _issue_raised(db, record), subject=record.case_id)
    return record


async def _issue_raised(db: AsyncSession, record: ReceptionRecord) -> StationIssueRaised:
    assert record.case_id is not None and record.route is not None
    return StationIssueRaised(
        record_id=record.id,
        case_id=record.case_id,
        station_id=record.station_id,
        session_id=record.session_id,
        grid_id=record.grid_id,
        kind=record.kind,
        category=record.category,
        route=record.route,
        summary=record.summary,
        deputy_ids=await duty_ids(db, record.session_id),
        raised_at=record.recorded_at,
    )


async def get_record(db: AsyncSession, record_id: str) -> ReceptionRecord:
    record = await db.get(ReceptionRecord, record_id)
    if record is None:
        raise NotFound(f"No reception record {record_id}.")
    return record


async def on_duty(db: AsyncSession, session_id: str, deputy_id: str | None) -> bool:
    if deputy_id is None:
        return False
    query = select(DutyDeputy.deputy_id).where(DutyDeputy.session_id == session_id, DutyDeputy.deputy_id == deputy_id)
    return (await db.execute(query)).first() is not None


async def list_records(
    db: AsyncSession,
    params: PageParams,
    *,
    session_id: str | None = None,
    station_id: str | None = None,
    outcome: str | None = None,
    duty_of: str | None = None,
) -> tuple[list[ReceptionRecord], int]:
    """Records, newest first; `duty_of` keeps those of the sessions a deputy was on duty at."""
    query = select(ReceptionRecord).order_by(ReceptionRecord.recorded_at.desc(), ReceptionRecord.id)
    if session_id:
        query = query.where(ReceptionRecord.session_id == session_id)
    if station_id:
        query = query.where(ReceptionRecord.station_id == station_id)
    if outcome:
        query = query.where(ReceptionRecord.outcome == outcome)
    if duty_of is not None:
        sessions = select(DutyDeputy.session_id).where(DutyDeputy.deputy_id == duty_of)
        query = query.where(ReceptionRecord.session_id.in_(sessions))
    return await paginate(db, query, params)


# --- the linked case's progress, from case events ---------------------------------------------------------


def _case_state(payload: CaseSubmitted | CaseAssigned | CaseTransitioned) -> tuple[str, object]:
    if isinstance(payload, CaseTransitioned):
        return payload.to_status, payload.at
    return ("assigned" if payload.assigned_deputy_ids else "submitted"), payload.submitted_at


async def on_case_event(
    db: AsyncSession, _: ServiceRuntime, payload: CaseSubmitted | CaseAssigned | CaseTransitioned
) -> None:
    """A case opened from a station issue (same case id) moved on: show it on the record; older news is dropped."""
    if isinstance(payload, CaseSubmitted) and payload.channel != "station":
        return
    record = (
        await db.execute(select(ReceptionRecord).where(ReceptionRecord.case_id == payload.case_id))
    ).scalar_one_or_none()
    if record is None:
        return
    status, at = _case_state(payload)
    if record.case_updated_at is not None and record.case_updated_at > at:
        return
    record.case_status, record.case_updated_at = status, at
    record.case_tracking_code = payload.tracking_code
