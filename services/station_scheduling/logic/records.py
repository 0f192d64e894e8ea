"""Reception records (当面提、当面议、当面答): answered on the spot, or followed up through a linked case.

A follow-up gets a case id here and `station.issue.raised.v1` carries it; case intake opens the case under
that id (channel `station`), and the case events that name it bring its progress back to the record. The words
said and the booking's account go to case intake alone, on the private `reception.issue.handed.v1`.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.logic.bookings import add_booking, get_booking, mark_attended
from services.station_scheduling.logic.sessions import duty_ids, get_reception
from services.station_scheduling.models import Booking, KnownGrid, ReceptionRecord, ReceptionSession
from services.station_scheduling.schemas import Outcome, RecordCreate
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import StationIssueHandedOver, StationIssueRaised
from shared.privacy import phone_forms, redact, scrub
from shared.service import ServiceRuntime

PENDING = "pending"  # the issue was raised; case intake has not yet confirmed the case


async def _visitor(
    db: AsyncSession, runtime: ServiceRuntime, reception: ReceptionSession, data: RecordCreate
) -> Booking:
    if data.booking_id is None:
        return await add_booking(db, runtime, reception, "attended", kind="walk_in", owner=None, topic=data.summary)
    booking = await get_booking(db, data.booking_id)
    if booking.session_id != reception.id:
        raise Unprocessable("This booking is for another session.")
    await mark_attended(db, booking, runtime)
    return booking


def _public_summary(summary: str, booking: Booking) -> str:
    """The summary goes public and into station.issue.raised.v1: digit runs masked, and the visitor's name and
    number, when the desk wrote them down, replaced (shared.privacy.scrub)."""
    names = [booking.visitor_name] if booking.visitor_name else []
    return redact(scrub(summary, names, phone_forms(booking.visitor_phone) if booking.visitor_phone else []))


async def _check_grid(db: AsyncSession, grid_id: str) -> None:
    grid = await db.get(KnownGrid, grid_id)
    if grid is None or grid.level != "group" or grid.status != "active":
        raise Unprocessable("Choose the visitor's village group or residential compound (the lowest grid level).")


async def create_record(
    db: AsyncSession, runtime: ServiceRuntime, session_id: str, data: RecordCreate, by: Principal
) -> ReceptionRecord:
    """Record one visitor's issue; a follow-up raises `station.issue.raised.v1` in the same transaction."""
    reception = await get_reception(db, session_id, lock=True)
    moment = runtime.clock.now()
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
        recorded_by=by.subject,
        recorded_at=moment,
        case_id=str(uuid.uuid4()) if follow_up else None,
        case_status=PENDING if follow_up else None,
        **data.model_dump(exclude={"booking_id", "summary"}),
        summary=_public_summary(data.summary, booking),
    )
    db.add(record)
    await db.flush()
    if follow_up:
        await runtime.emit(db, await _issue_raised(db, record), subject=record.case_id)
        await runtime.emit(db, _handed_over(record, booking), subject=record.case_id)
    detail = {"session_id": reception.id, "outcome": record.outcome, "case_id": record.case_id}
    await audit.record(db, by, "station.record.add", "record", record.id, **detail)
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


def _handed_over(record: ReceptionRecord, booking: Booking) -> StationIssueHandedOver:
    """What the deputies following the case up need and the public must not read: the words, and the account
    that booked (the villager then finds the case among their own). On the private RECEPTION stream, for case
    intake alone (shared.messaging.catalogue.reception)."""
    assert record.case_id is not None
    return StationIssueHandedOver(
        record_id=record.id,
        case_id=record.case_id,
        raised=record.raised,
        discussed=record.discussed,
        answer=record.answer,
        owner=booking.owner,
        at=record.recorded_at,
    )


async def get_record(db: AsyncSession, record_id: str) -> ReceptionRecord:
    record = await db.get(ReceptionRecord, record_id)
    if record is None:
        raise NotFound("No reception record {record_id}.", params={"record_id": record_id})
    return record
