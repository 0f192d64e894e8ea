"""Who may read what: station staff and the NPC office manage everything; villagers their own bookings;
deputies the records of the sessions they were on duty at."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import Booking, DutyDeputy, ReceptionRecord
from shared.auth import Principal, Role
from shared.errors import Forbidden

MANAGERS = (Role.station_staff, Role.npc_office)


def may_see_booking(principal: Principal, booking: Booking) -> None:
    if booking.owner != principal.subject and not principal.has(*MANAGERS):
        raise Forbidden("This is not your booking.")


async def on_duty(db: AsyncSession, session_id: str, deputy_id: str | None) -> bool:
    if deputy_id is None:
        return False
    query = select(DutyDeputy.deputy_id).where(DutyDeputy.session_id == session_id, DutyDeputy.deputy_id == deputy_id)
    return (await db.execute(query)).first() is not None


async def may_read_record(db: AsyncSession, principal: Principal, record: ReceptionRecord) -> None:
    if principal.has(*MANAGERS):
        return
    if not (principal.has(Role.deputy) and await on_duty(db, record.session_id, principal.deputy_id)):
        raise Forbidden("Only station staff, the NPC office and the deputies on duty read reception records.")


def may_join_agency_staff(principal: Principal, organisation: str) -> None:
    """Station staff add agency staff; an agency officer joins for their own organisation."""
    if not principal.has(*MANAGERS):
        principal.require(Role.agency_officer)
        if organisation != principal.organisation:
            raise Forbidden("An agency officer joins for their own organisation.")
