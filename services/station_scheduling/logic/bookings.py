"""Bookings: places up to the capacity, then a waitlist promoted in order; walk-ins registered at the desk.

Every change takes the session's row lock first (PostgreSQL: SELECT ... FOR UPDATE; SQLite: one writer at a
time, BEGIN IMMEDIATE), so counting the places taken and adding a booking happen as one step.
"""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.bookings import ACTIVE_BOOKINGS, PLACE_TAKEN, PROMOTED, booking_status
from services.station_scheduling.logic.sessions import get_reception
from services.station_scheduling.models import Booking, ReceptionSession
from services.station_scheduling.schemas import BookingCreate, WalkInCreate
from shared import audit, i18n
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.messaging.catalogue import BookingMade, BookingPromoted
from shared.service import ServiceRuntime


async def _taken(db: AsyncSession, session_id: str) -> int:
    query = select(func.count()).where(Booking.session_id == session_id, Booking.status.in_(PLACE_TAKEN))
    return (await db.execute(query)).scalar_one()


async def _next_queue_no(db: AsyncSession, session_id: str) -> int:
    query = select(func.coalesce(func.max(Booking.queue_no), 0)).where(Booking.session_id == session_id)
    return (await db.execute(query)).scalar_one() + 1


async def add_booking(
    db: AsyncSession, runtime: ServiceRuntime, reception: ReceptionSession, status: str, **fields: object
) -> Booking:
    moment = runtime.clock.now()
    booking = Booking(
        id=str(uuid.uuid4()),
        session_id=reception.id,
        status=status,
        queue_no=await _next_queue_no(db, reception.id),
        created_at=moment,
        changed_at=moment,
        **fields,
    )
    db.add(booking)
    await db.flush()
    event = BookingMade(
        booking_id=booking.id,
        session_id=reception.id,
        station_id=reception.station_id,
        kind=booking.kind,
        status=booking.status,
        at=moment,
        owner_id=booking.owner,
        starts_at=reception.starts_at,
    )
    await runtime.emit(db, event, subject=reception.id)
    return booking


async def book(db: AsyncSession, runtime: ServiceRuntime, session_id: str, data: BookingCreate, owner: str) -> Booking:
    """A villager's booking: confirmed while places are left, else waitlisted (or refused when `waitlist` is off)."""
    reception = await get_reception(db, session_id, lock=True)
    if reception.status != "scheduled" or runtime.clock.now() >= reception.starts_at:
        raise Conflict("This session no longer takes bookings.")
    mine = select(Booking.id).where(
        Booking.session_id == session_id, Booking.owner == owner, Booking.status.in_(ACTIVE_BOOKINGS)
    )
    if (await db.execute(mine)).first() is not None:
        raise Conflict("You already have a booking for this session.")
    status = booking_status(await _taken(db, session_id), reception.capacity, waitlist=data.waitlist)
    return await add_booking(db, runtime, reception, status, kind="booked", owner=owner, topic=data.topic)


async def walk_in(
    db: AsyncSession, runtime: ServiceRuntime, session_id: str, data: WalkInCreate, *, by: Principal
) -> Booking:
    """A visitor registered at the desk: they take a place, so a full session turns them away."""
    reception = await get_reception(db, session_id, lock=True)
    if reception.status == "cancelled":
        raise Conflict("The session was cancelled.")
    if await _taken(db, session_id) >= reception.capacity:
        raise Conflict("The session is full.")
    booking = await add_booking(db, runtime, reception, "attended", kind="walk_in", owner=None, **data.model_dump())
    await audit.record(db, by, "station.walk_in.add", "booking", booking.id, session_id=reception.id)
    return booking


async def get_booking(db: AsyncSession, booking_id: str) -> Booking:
    booking = await db.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No booking {booking_id}.", params={"booking_id": booking_id})
    return booking


async def cancel_booking(db: AsyncSession, runtime: ServiceRuntime, booking: Booking, *, by: Principal) -> Booking:
    """Cancel a booking; a confirmed place that frees up goes to the first on the waitlist. Staff cancelling a
    villager's booking is audited; the villager cancelling their own is not."""
    reception = await get_reception(db, booking.session_id, lock=True)
    await db.refresh(booking)
    if booking.status not in ACTIVE_BOOKINGS:
        raise Conflict("The booking is {status}.", params={"status": i18n.code("booking", booking.status)})
    moment = runtime.clock.now()
    freed = booking.status == "confirmed"
    booking.status, booking.changed_at = "cancelled", moment
    await db.flush()
    if booking.owner != by.subject and audit.is_official(by):
        await audit.record(db, by, "station.booking.cancel", "booking", booking.id, session_id=booking.session_id)
    if freed and reception.status == "scheduled":
        await _promote(db, runtime, reception)
    return booking


async def _promote(db: AsyncSession, runtime: ServiceRuntime, reception: ReceptionSession) -> None:
    query = (
        select(Booking)
        .where(Booking.session_id == reception.id, Booking.status == "waitlisted")
        .order_by(Booking.queue_no)
        .limit(1)
    )
    first = (await db.execute(query)).scalar_one_or_none()
    if first is not None and await _taken(db, reception.id) < reception.capacity:
        first.status, first.notice, first.changed_at = "confirmed", PROMOTED, runtime.clock.now()
        await db.flush()
        promoted = BookingPromoted(
            booking_id=first.id,
            session_id=reception.id,
            station_id=reception.station_id,
            owner_id=first.owner,
            starts_at=reception.starts_at,
            at=first.changed_at,
        )
        await runtime.emit(db, promoted, subject=reception.id)


async def mark_attended(db: AsyncSession, booking: Booking, runtime: ServiceRuntime) -> None:
    if booking.status not in PLACE_TAKEN:
        raise Conflict(
            "The booking is {status}; only a confirmed visitor is received.",
            params={"status": i18n.code("booking", booking.status)},
        )
    booking.status, booking.changed_at = "attended", runtime.clock.now()
