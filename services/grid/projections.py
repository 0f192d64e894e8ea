"""What other services tell the grid: its copies of their facts, kept by the events they publish.

DEPUTY: who is on the chairpersons' council (township grid heads), who retired (their assignments end),
districts and home grids (coverage suggestions). CASE: which cases are open in which grid, so that a grid
with open work cannot be retired. An event older than what a copy holds is dropped.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.logic import assignments
from services.grid.logic.grids import active_assignments
from services.grid.models import Assignment, GridCase, KnownDeputy
from shared.db import upsert_newer
from shared.messaging.catalogue import (
    CLOSED_CASE_STATUSES,
    CaseAssignedV2,
    CaseSubmittedV2,
    CaseTransitioned,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
)
from shared.projections import project_deputy
from shared.service import ServiceRuntime

# --- deputies -------------------------------------------------------------------------------------------


async def on_deputy_registered(session: AsyncSession, _: ServiceRuntime, payload: DeputyRegistered) -> None:
    extra = {"district": payload.district, "council_member": payload.council_member}
    await project_deputy(session, KnownDeputy.__table__, payload, **extra)


async def on_deputy_updated(session: AsyncSession, _: ServiceRuntime, payload: DeputyUpdated) -> None:
    extra = {"district": payload.district, "council_member": payload.council_member}
    await project_deputy(session, KnownDeputy.__table__, payload, **extra, home_grid_id=payload.home_grid_id)


async def on_deputy_retired(session: AsyncSession, runtime: ServiceRuntime, payload: DeputyRetired) -> None:
    """A retired deputy's assignments end on the day they left office."""
    await project_deputy(session, KnownDeputy.__table__, payload, district="")
    for assignment in await active_assignments(session, Assignment.deputy_id == payload.deputy_id):
        await assignments.end(session, runtime, assignment, payload.retired_on, f"deputy retired: {payload.reason}")


# --- cases ----------------------------------------------------------------------------------------------


def _case_state(payload: CaseSubmittedV2 | CaseAssignedV2 | CaseTransitioned) -> tuple[str, datetime]:
    if isinstance(payload, CaseTransitioned):
        return payload.to_status, payload.at
    return ("assigned" if payload.assigned_deputy_ids else "submitted"), payload.submitted_at


async def on_case_event(
    session: AsyncSession, _: ServiceRuntime, payload: CaseSubmittedV2 | CaseAssignedV2 | CaseTransitioned
) -> None:
    """Keep which cases are open in which grid; an older event than the one applied is dropped."""
    status, at = _case_state(payload)
    row = {"case_id": payload.case_id, "grid_id": payload.grid_id, "status": status, "at": at}
    row["is_open"] = status not in CLOSED_CASE_STATUSES
    await upsert_newer(session, GridCase.__table__, [row], changes=("grid_id", "status", "is_open"), stamp="at")
