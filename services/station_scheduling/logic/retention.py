"""Retention (PIPL): a visitor's name and phone are kept while they may be needed — to call them about the
session or its follow-up — and no longer than PERSONAL_DATA_RETENTION_DAYS after the session ended. Then an
hourly sweep removes them; the booking itself (a place that was taken, counted in the figures) stays.

The sweep is one UPDATE, the same whoever runs it: replicas sweeping at the same time do no harm.
"""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import Booking, ReceptionSession
from shared.clock import Clock
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)

SWEEP_SECONDS = 3600.0
"""How often the lifespan task sweeps (the first time one interval after the process started)."""


async def forget_expired_contacts(db: AsyncSession, clock: Clock, retention_days: int) -> int:
    """Remove the visitor's name and phone from the bookings of sessions that ended more than `retention_days`
    before `clock`'s now; returns how many bookings lost them. The caller commits."""
    ended = select(ReceptionSession.id).where(ReceptionSession.ends_at < clock.now() - timedelta(days=retention_days))
    statement = (
        update(Booking)
        .where(Booking.session_id.in_(ended))
        .where(or_(Booking.visitor_name.is_not(None), Booking.visitor_phone.is_not(None)))
        .values(visitor_name=None, visitor_phone=None)
        .execution_options(synchronize_session=False)
    )
    return (await db.execute(statement)).rowcount or 0


async def sweep(runtime: ServiceRuntime) -> int:
    """One sweep by the runtime's clock and settings, in a transaction of its own."""
    async with runtime.maker() as db, db.begin():
        return await forget_expired_contacts(db, runtime.clock, runtime.settings.personal_data_retention_days)


async def run_retention(runtime: ServiceRuntime) -> None:
    """The lifespan task: a sweep every SWEEP_SECONDS."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            if forgotten := await sweep(runtime):
                log.info("retention: contact data of %d bookings removed", forgotten)
        except Exception as error:  # the database away: try again next hour
            log.warning("retention sweep paused: %s", error)
