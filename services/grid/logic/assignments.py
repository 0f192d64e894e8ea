"""Deputies placed in grids (定格定责): a grid has at most one grid head, a township's head sits on the
chairpersons' council, and every start and end is published."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.logic.grids import active_assignments, active_grid, get_assignment
from services.grid.models import Assignment, Grid, KnownDeputy
from services.grid.schemas import AssignmentCreate, AssignmentEnd
from shared import audit
from shared.auth import Principal
from shared.clock import today
from shared.errors import Conflict, Unprocessable
from shared.messaging.catalogue import AssignmentEnded, AssignmentStarted
from shared.service import ServiceRuntime


async def _check_assignment(session: AsyncSession, grid: Grid, data: AssignmentCreate) -> None:
    deputy = await session.get(KnownDeputy, data.deputy_id)
    if deputy is not None and deputy.status != "active":
        raise Conflict("The deputy is retired.", rule="assignment.deputy_retired")
    if data.role == "grid_head" and grid.level == "township" and not (deputy and deputy.council_member):
        if deputy is None:
            raise Unprocessable(
                "A township's grid head must be a member of the chairpersons' council "
                "(this deputy is not known here yet).",
                rule="assignment.council",
            )
        raise Unprocessable(
            "A township's grid head must be a member of the chairpersons' council.", rule="assignment.council"
        )
    if data.role == "grid_head" and await active_assignments(
        session, Assignment.grid_id == grid.id, Assignment.role == "grid_head"
    ):
        raise Conflict("The grid has a grid head: end that assignment first.", rule="assignment.head_taken")
    if await active_assignments(session, Assignment.grid_id == grid.id, Assignment.deputy_id == data.deputy_id):
        raise Conflict("The deputy is already assigned to this grid.", rule="assignment.already")


async def start_assignment(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: AssignmentCreate,
    *,
    assignment_id: str | None = None,
    by: Principal | None = None,
) -> Assignment:
    """Place a deputy in a grid. A deputy not yet known here (events lag) may be a member, never a township head.
    `by`: the official who does it (audited), none for the demo city's loader."""
    grid = await active_grid(session, data.grid_id)
    await _check_assignment(session, grid, data)
    assignment = Assignment(
        id=assignment_id or str(uuid.uuid4()), ends_on=None, created_at=datetime.now(UTC), **data.model_dump()
    )
    session.add(assignment)
    await session.flush()
    if by is not None:
        detail = {"grid_id": assignment.grid_id, "deputy_id": assignment.deputy_id, "role": assignment.role}
        await audit.record(session, by, "grid.assignment.start", "assignment", assignment.id, **detail)
    await runtime.emit(
        session,
        AssignmentStarted(
            assignment_id=assignment.id,
            grid_id=assignment.grid_id,
            deputy_id=assignment.deputy_id,
            role=assignment.role,
            basis=assignment.basis,
            starts_on=assignment.starts_on,
        ),
        subject=assignment.grid_id,
    )
    return assignment


async def end(session: AsyncSession, runtime: ServiceRuntime, assignment: Assignment, on: date, reason: str) -> None:
    """End a running assignment (never before it started) and publish it: by hand, or because its grid or its
    deputy retired."""
    assignment.ends_on = max(on, assignment.starts_on)
    assignment.end_reason = reason[:500]
    await runtime.emit(
        session,
        AssignmentEnded(
            assignment_id=assignment.id,
            grid_id=assignment.grid_id,
            deputy_id=assignment.deputy_id,
            ends_on=assignment.ends_on,
        ),
        subject=assignment.grid_id,
    )


async def end_assignment(
    session: AsyncSession, runtime: ServiceRuntime, assignment_id: str, data: AssignmentEnd, *, by: Principal
) -> Assignment:
    assignment = await get_assignment(session, assignment_id)
    if assignment.ends_on is not None:
        raise Conflict("The assignment has ended.")
    if data.ends_on < assignment.starts_on or data.ends_on > today(runtime):
        raise Unprocessable("The end date must lie between the start date and today.")
    await end(session, runtime, assignment, data.ends_on, data.reason)
    detail = {"grid_id": assignment.grid_id, "deputy_id": assignment.deputy_id, "ends_on": assignment.ends_on}
    await audit.record(session, by, "grid.assignment.end", "assignment", assignment.id, **detail)
    await session.flush()
    return assignment
