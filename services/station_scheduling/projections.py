"""What this service knows of other services, fed by their events: deputies (who may be on duty), the grid tree
and assignments (which deputies a station's grids have), the progress of cases opened from a station issue; and
the one instruction another service gives it, a villager's erasure (logic.erasure).

Handlers run inside the consumer's inbox transaction; each drops news older than what it already holds.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.logic.erasure import erase_person
from services.station_scheduling.models import KnownAssignment, KnownDeputy, KnownGrid, ReceptionRecord
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    CaseAssignedV2,
    CaseSubmittedV2,
    CaseTransitioned,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
)
from shared.projections import project_deputy, project_grid
from shared.service import ServiceRuntime


async def on_deputy_registered(db: AsyncSession, _: ServiceRuntime, payload: DeputyRegistered) -> None:
    await project_deputy(db, KnownDeputy.__table__, payload)


async def on_deputy_updated(db: AsyncSession, _: ServiceRuntime, payload: DeputyUpdated) -> None:
    await project_deputy(db, KnownDeputy.__table__, payload)


async def on_deputy_retired(db: AsyncSession, _: ServiceRuntime, payload: DeputyRetired) -> None:
    await project_deputy(db, KnownDeputy.__table__, payload)


async def on_grid_created(db: AsyncSession, _: ServiceRuntime, payload: GridCreated) -> None:
    await project_grid(db, KnownGrid.__table__, payload)


async def on_grid_changed(db: AsyncSession, _: ServiceRuntime, payload: GridChanged) -> None:
    await project_grid(db, KnownGrid.__table__, payload)


async def on_grid_retired(db: AsyncSession, _: ServiceRuntime, payload: GridRetired) -> None:
    await project_grid(db, KnownGrid.__table__, payload)


async def on_assignment_started(db: AsyncSession, _: ServiceRuntime, payload: AssignmentStarted) -> None:
    if await db.get(KnownAssignment, payload.assignment_id) is None:
        db.add(
            KnownAssignment(id=payload.assignment_id, grid_id=payload.grid_id, deputy_id=payload.deputy_id, active=True)
        )


async def on_assignment_ended(db: AsyncSession, _: ServiceRuntime, payload: AssignmentEnded) -> None:
    assignment = await db.get(KnownAssignment, payload.assignment_id)
    assignment = assignment or KnownAssignment(
        id=payload.assignment_id, grid_id=payload.grid_id, deputy_id=payload.deputy_id
    )
    assignment.active = False
    db.add(assignment)


# --- the linked case's progress, from case events ---------------------------------------------------------


def _case_state(payload: CaseSubmittedV2 | CaseAssignedV2 | CaseTransitioned) -> tuple[str, datetime]:
    if isinstance(payload, CaseTransitioned):
        return payload.to_status, payload.at
    return ("assigned" if payload.assigned_deputy_ids else "submitted"), payload.submitted_at


async def on_case_event(
    db: AsyncSession, _: ServiceRuntime, payload: CaseSubmittedV2 | CaseAssignedV2 | CaseTransitioned
) -> None:
    """A case opened from a station issue (same case id) moved on: show it on the record; older news is dropped."""
    if isinstance(payload, CaseSubmittedV2) and payload.channel != "station":
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


# --- a villager's erasure (PIPL), from the gateway ---------------------------------------------------------


async def on_person_erased(db: AsyncSession, _: ServiceRuntime, payload: PersonErased) -> None:
    """Remove what the station keeps under the person's account or phone; keep the anonymised places and minutes."""
    await erase_person(db, payload)
