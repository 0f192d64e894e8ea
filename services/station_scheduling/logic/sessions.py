"""Reception sessions: announced ahead, inside opening hours, never two places at once for one deputy."""

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.bookings import ACTIVE_BOOKINGS
from services.station_scheduling.domain.days import local_label
from services.station_scheduling.domain.hours import check_notice, within_hours
from services.station_scheduling.logic.deputies import linked_deputies
from services.station_scheduling.logic.stations import get_station, opening_windows
from services.station_scheduling.models import (
    AgencyStaff,
    Booking,
    DutyDeputy,
    KnownDeputy,
    ReceptionSession,
    Station,
)
from services.station_scheduling.schemas import AgencyStaffIn, SessionCreate, SessionMode
from shared import audit, i18n
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import SessionCancelled, SessionHeld, SessionScheduled
from shared.service import ServiceRuntime

SESSION_FIELDS = {"station_id", "mode", "place", "meeting_url", "starts_at", "ends_at", "capacity", "topic"}


def dump(items: Sequence[object]) -> str:
    """A JSON list for a text column (warnings, a rota's pool and skipped days)."""
    return json.dumps(items, ensure_ascii=False, default=str)


async def get_reception(db: AsyncSession, session_id: str, *, lock: bool = False) -> ReceptionSession:
    """A reception session; `lock` takes its row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite writers serialize)."""
    query = select(ReceptionSession).where(ReceptionSession.id == session_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    reception = (await db.execute(query)).scalar_one_or_none()
    if reception is None:
        raise NotFound("No reception session {session_id}.", params={"session_id": session_id})
    return reception


async def lock_deputies(db: AsyncSession, deputy_ids: list[str]) -> dict[str, KnownDeputy]:
    """The deputies, row-locked in id order so that two schedulers of one deputy take turns."""
    query = (
        select(KnownDeputy)
        .where(KnownDeputy.id.in_(sorted(deputy_ids)))
        .order_by(KnownDeputy.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    deputies = {deputy.id: deputy for deputy in (await db.execute(query)).scalars()}
    unknown = [deputy_id for deputy_id in deputy_ids if deputy_id not in deputies]
    if unknown:
        raise Unprocessable("Unknown deputy: {unknown}.", params={"unknown": ", ".join(unknown)})
    retired = [deputy.code for deputy in deputies.values() if deputy.status != "active"]
    if retired:
        raise Unprocessable("Not in office: {retired}.", params={"retired": ", ".join(retired)})
    return deputies


async def busy_deputies(db: AsyncSession, deputy_ids: list[str], starts_at: datetime, ends_at: datetime) -> set[str]:
    """Those of `deputy_ids` on duty at another session (not cancelled) overlapping [starts_at, ends_at)."""
    query = (
        select(DutyDeputy.deputy_id)
        .join(ReceptionSession, ReceptionSession.id == DutyDeputy.session_id)
        .where(
            DutyDeputy.deputy_id.in_(deputy_ids),
            ReceptionSession.status != "cancelled",
            ReceptionSession.starts_at < ends_at,
            ReceptionSession.ends_at > starts_at,
        )
    )
    return set((await db.execute(query)).scalars())


async def _check(db: AsyncSession, runtime: ServiceRuntime, station: Station, data: SessionCreate) -> list[str]:
    """Refuse what cannot be (short notice without reason, outside hours, a deputy in two places); flag the rest."""
    warnings = check_notice(station, data.starts_at, runtime.clock.now(), data.short_notice_reason)
    if data.mode == SessionMode.station:
        windows = await opening_windows(db, station.id)
        if windows and not within_hours(windows, data.starts_at, data.ends_at):
            raise Unprocessable(
                "{starts_at} is outside the opening hours ({opening_hours}).",
                params={"starts_at": local_label(data.starts_at), "opening_hours": station.opening_hours},
            )
    deputies = await lock_deputies(db, data.deputy_ids)
    busy = await busy_deputies(db, data.deputy_ids, data.starts_at, data.ends_at)
    if busy:
        names = ", ".join(sorted(deputies[deputy_id].code for deputy_id in busy))
        raise Conflict("On duty elsewhere at that time: {names}.", params={"names": names})
    return warnings


async def schedule(
    db: AsyncSession,
    runtime: ServiceRuntime,
    data: SessionCreate,
    created_by: str,
    *,
    rota_id: str | None = None,
    linked: set[str] | None = None,
    by: Principal | None = None,
) -> ReceptionSession:
    """Announce a session: every check runs before anything is written, so a refusal changes nothing. `by`: the
    official who announces it (audited; a rota's sessions are in its own entry)."""
    station = await get_station(db, data.station_id)
    warnings = await _check(db, runtime, station, data)
    linked = linked if linked is not None else await linked_deputies(db, station)
    unlinked = [deputy_id for deputy_id in data.deputy_ids if deputy_id not in linked]
    warnings += [f"deputy {deputy_id} is not linked to the grids this station serves" for deputy_id in unlinked]
    moment = runtime.clock.now()
    reception = ReceptionSession(
        id=str(uuid.uuid4()),
        rota_id=rota_id,
        status="scheduled",
        warnings=dump(warnings),
        created_by=created_by,
        created_at=moment,
        **data.model_dump(include=SESSION_FIELDS),
    )
    db.add(reception)
    await db.flush()
    db.add_all([DutyDeputy(session_id=reception.id, deputy_id=d, linked=d not in unlinked) for d in data.deputy_ids])
    db.add_all([_agency(reception.id, staff, moment) for staff in data.agency_staff])
    await db.flush()
    await runtime.emit(db, _scheduled_event(reception, data), subject=reception.id)
    if by is not None:
        detail = {"station_id": reception.station_id, "deputy_ids": list(data.deputy_ids)}
        await audit.record(db, by, "station.session.schedule", "session", reception.id, **detail)
    return reception


def _agency(session_id: str, staff: AgencyStaffIn, moment: datetime) -> AgencyStaff:
    return AgencyStaff(id=str(uuid.uuid4()), session_id=session_id, joined_at=moment, **staff.model_dump())


def _scheduled_event(reception: ReceptionSession, data: SessionCreate) -> SessionScheduled:
    return SessionScheduled(
        session_id=reception.id,
        station_id=reception.station_id,
        mode=reception.mode,
        starts_at=reception.starts_at,
        ends_at=reception.ends_at,
        capacity=reception.capacity,
        topic=reception.topic,
        deputy_ids=list(data.deputy_ids),
        organisations=sorted({staff.organisation for staff in data.agency_staff}),
        rota_id=reception.rota_id,
    )


async def duty_ids(db: AsyncSession, session_id: str) -> list[str]:
    query = select(DutyDeputy.deputy_id).where(DutyDeputy.session_id == session_id).order_by(DutyDeputy.deputy_id)
    return list((await db.execute(query)).scalars())


async def cancel(
    db: AsyncSession, runtime: ServiceRuntime, session_id: str, reason: str, *, by: Principal
) -> ReceptionSession:
    """Cancel a scheduled session; everyone booked gets a notice on their booking, and the event names them."""
    reception = await get_reception(db, session_id, lock=True)
    if reception.status != "scheduled":
        raise Conflict(
            "The session is {status}; only a scheduled session can be cancelled.",
            params={"status": i18n.code("session", reception.status)},
        )
    moment = runtime.clock.now()
    reception.status, reception.cancel_reason, reception.cancelled_at = "cancelled", reason, moment
    query = select(Booking).where(Booking.session_id == session_id, Booking.status.in_(ACTIVE_BOOKINGS))
    booked = list((await db.execute(query)).scalars())
    notice = f"The session of {local_label(reception.starts_at)} was cancelled: {reason}"
    for booking in booked:
        booking.status, booking.notice, booking.changed_at = "session_cancelled", notice[:500], moment
    await db.flush()
    event = SessionCancelled(
        session_id=reception.id,
        station_id=reception.station_id,
        starts_at=reception.starts_at,
        reason=reason,
        deputy_ids=await duty_ids(db, reception.id),
        booking_ids=sorted(booking.id for booking in booked),
        at=moment,
        owner_ids=sorted({booking.owner for booking in booked if booking.owner}),
    )
    await runtime.emit(db, event, subject=reception.id)
    detail = {"station_id": reception.station_id, "booking_ids": event.booking_ids}
    await audit.record(db, by, "station.session.cancel", "session", reception.id, **detail)
    return reception


async def mark_held(db: AsyncSession, runtime: ServiceRuntime, session_id: str, *, by: Principal) -> ReceptionSession:
    reception = await get_reception(db, session_id, lock=True)
    moment = runtime.clock.now()
    if reception.status != "scheduled":
        raise Conflict("The session is {status}.", params={"status": i18n.code("session", reception.status)})
    if moment < reception.starts_at:
        raise Conflict("The session has not started yet.")
    reception.status, reception.held_at = "held", moment
    await db.flush()
    event = SessionHeld(
        session_id=reception.id,
        station_id=reception.station_id,
        starts_at=reception.starts_at,
        deputy_ids=await duty_ids(db, reception.id),
        at=moment,
    )
    await runtime.emit(db, event, subject=reception.id)
    await audit.record(db, by, "station.session.held", "session", reception.id, station_id=reception.station_id)
    return reception


async def join_agency_staff(
    db: AsyncSession, runtime: ServiceRuntime, session_id: str, staff: AgencyStaffIn, *, by: Principal
) -> ReceptionSession:
    reception = await get_reception(db, session_id, lock=True)
    if reception.status != "scheduled":
        raise Conflict("The session is {status}.", params={"status": i18n.code("session", reception.status)})
    db.add(_agency(reception.id, staff, runtime.clock.now()))
    await db.flush()
    detail = {"organisation": staff.organisation}
    await audit.record(db, by, "station.session.agency_staff.join", "session", reception.id, **detail)
    return reception
