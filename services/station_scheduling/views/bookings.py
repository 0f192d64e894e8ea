"""Bookings as shown: the waitlist place, the follow-ups of what the visitor raised, the visitor masked."""

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import Booking, ReceptionRecord
from services.station_scheduling.schemas import BookingRead, FollowUpRead
from shared.pagination import Page, PageParams, paginate
from shared.privacy import mask_name, mask_phone


async def _place(db: AsyncSession, booking: Booking) -> int | None:
    if booking.status != "waitlisted":
        return None
    ahead = select(func.count()).where(
        Booking.session_id == booking.session_id, Booking.status == "waitlisted", Booking.queue_no < booking.queue_no
    )
    return (await db.execute(ahead)).scalar_one() + 1


async def _follow_ups(db: AsyncSession, booking: Booking) -> list[ReceptionRecord]:
    query = (
        select(ReceptionRecord)
        .where(ReceptionRecord.booking_id == booking.id, ReceptionRecord.outcome == "follow_up")
        .order_by(ReceptionRecord.recorded_at, ReceptionRecord.id)
    )
    return list((await db.execute(query)).scalars())


async def booking_read(db: AsyncSession, booking: Booking) -> BookingRead:
    """A booking with its waitlist place; the visitor's name and phone masked."""
    return BookingRead(
        id=booking.id,
        session_id=booking.session_id,
        kind=booking.kind,
        topic=booking.topic,
        status=booking.status,
        place=await _place(db, booking),
        notice=booking.notice,
        visitor_name_masked=mask_name(booking.visitor_name),
        visitor_phone_masked=mask_phone(booking.visitor_phone),
        follow_ups=[FollowUpRead.model_validate(record) for record in await _follow_ups(db, booking)],
        created_at=booking.created_at,
        changed_at=booking.changed_at,
    )


async def _page(db: AsyncSession, query: Select[tuple[Booking]], params: PageParams) -> Page[BookingRead]:
    items, total = await paginate(db, query, params)
    return Page(items=[await booking_read(db, item) for item in items], total=total, **params.model_dump())


async def my_bookings(db: AsyncSession, owner: str, params: PageParams) -> Page[BookingRead]:
    query = select(Booking).where(Booking.owner == owner).order_by(Booking.created_at.desc(), Booking.id)
    return await _page(db, query, params)


async def session_bookings(db: AsyncSession, session_id: str, params: PageParams) -> Page[BookingRead]:
    """The bookings of a session in order of arrival (the caller has found the session)."""
    query = select(Booking).where(Booking.session_id == session_id).order_by(Booking.queue_no)
    return await _page(db, query, params)
