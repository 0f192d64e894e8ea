"""What the station keeps about the caller (PIPL's right to a copy): their bookings, each with the public facts
of its session. Only what is kept under the token's subject: a walk-in staff registered under a phone number
is not tied to any account, so it appears in nobody's download."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import Booking, ReceptionSession, Station
from services.station_scheduling.schemas import MyBookingRead, SessionFacts, StationPersonalData
from services.station_scheduling.views.bookings import booking_read


async def personal_data(db: AsyncSession, account_id: str) -> StationPersonalData:
    """All of the account's bookings in one answer: the download is one file, a page of it would look whole."""
    query = (
        select(Booking, ReceptionSession, Station.name)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Station, Station.id == ReceptionSession.station_id)
        .where(Booking.owner == account_id)
        .order_by(Booking.created_at, Booking.id)
    )
    items = []
    for booking, reception, station_name in (await db.execute(query)).all():
        session = SessionFacts(
            id=reception.id,
            station_id=reception.station_id,
            station_name=station_name,
            mode=reception.mode,
            place=reception.place,
            meeting_url=reception.meeting_url,
            starts_at=reception.starts_at,
            ends_at=reception.ends_at,
            topic=reception.topic,
            status=reception.status,
        )
        read = await booking_read(db, booking)
        items.append(MyBookingRead(**read.model_dump(), session=session))
    return StationPersonalData(account_id=account_id, bookings=items)
