"""Rotas: a recurrence rule makes the station's reception days; each day's session takes the next deputies.

Days that cannot be held (short notice, outside opening hours, too few deputies free) are skipped and listed
on the rota with the reason; the others become ordinary scheduled sessions.
"""

import asyncio
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.recurrence import reception_days
from services.station_scheduling.domain.rotation import Rotation
from services.station_scheduling.logic.deputies import linked_deputies, station_pool
from services.station_scheduling.logic.sessions import busy_deputies, dump, lock_deputies, schedule
from services.station_scheduling.logic.stations import get_station
from services.station_scheduling.models import Rota
from services.station_scheduling.schemas import RotaCreate, SessionCreate
from shared import audit
from shared.auth import Principal
from shared.clock import CHINA
from shared.errors import NotFound, ProblemError, Unprocessable
from shared.service import ServiceRuntime

VENUE = {"mode", "place", "meeting_url"}


async def create_rota(db: AsyncSession, runtime: ServiceRuntime, data: RotaCreate, by: Principal) -> Rota:
    """Expand the rule and schedule each day's session (those that cannot be held are `skipped`); audited as one
    entry naming the station and how many sessions it scheduled."""
    station = await get_station(db, data.station_id)
    days = await asyncio.to_thread(reception_days, data.rule, data.starts_on, data.ends_on)
    if not days:
        raise Unprocessable("The rule gives no reception day between starts_on and ends_on.")
    pool = list(dict.fromkeys(data.deputy_ids)) or await station_pool(db, station)
    if len(pool) < data.deputies_per_session:
        raise Unprocessable(
            "The rotation needs at least {deputies_per_session} deputies; it has {pool}.",
            params={"deputies_per_session": data.deputies_per_session, "pool": len(pool)},
        )
    await lock_deputies(db, pool)
    rota = Rota(
        id=str(uuid.uuid4()),
        created_by=by.subject,
        created_at=runtime.clock.now(),
        pool=dump(pool),
        **data.model_dump(exclude={"deputy_ids"}),
    )
    db.add(rota)
    await db.flush()
    rotation = Rotation(pool=pool, linked=await linked_deputies(db, station))
    skipped = []
    for day in days:
        reason = await _schedule_day(db, runtime, rota, data, day, rotation)
        if reason:
            skipped.append({"day": day.isoformat(), "reason": reason})
    rota.skipped = dump(skipped)
    await db.flush()
    detail = {"station_id": data.station_id, "days": len(days), "skipped": len(skipped)}
    await audit.record(db, by, "station.rota.create", "rota", rota.id, **detail)
    return rota


def _session(data: RotaCreate, starts: datetime, ends: datetime, deputies: list[str]) -> SessionCreate:
    return SessionCreate(
        station_id=data.station_id,
        starts_at=starts,
        ends_at=ends,
        capacity=data.capacity,
        topic=data.topic,
        deputy_ids=deputies,
        **data.model_dump(include=VENUE),
    )


async def _schedule_day(
    db: AsyncSession, runtime: ServiceRuntime, rota: Rota, data: RotaCreate, day: date, rotation: Rotation
) -> str | None:
    """Schedule one day's session with the next deputies; the reason it was skipped, or None. A skip writes nothing."""
    starts = datetime.combine(day, data.start_time, CHINA)
    ends = starts + timedelta(minutes=data.duration_minutes)
    busy = await busy_deputies(db, rotation.pool, starts, ends)
    deputies = rotation.next(data.deputies_per_session, busy)
    if deputies is None:
        return "too few deputies are free"
    try:
        await schedule(
            db,
            runtime,
            _session(data, starts, ends, deputies),
            rota.created_by,
            rota_id=rota.id,
            linked=rotation.linked,
        )
    except ProblemError as refusal:
        return str(refusal)  # the English words with their values (a stored reason)
    rotation.took(deputies)
    return None


async def get_rota(db: AsyncSession, rota_id: str) -> Rota:
    rota = await db.get(Rota, rota_id)
    if rota is None:
        raise NotFound("No rota {rota_id}.", params={"rota_id": rota_id})
    return rota
