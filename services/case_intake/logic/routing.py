"""Routing: a case goes to the deputies of its grid (or, when it has none, of the grids above it); the office
dispatches a returned or unrouted case; a case filed where no deputy answered yet goes on once one does."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import SYSTEM, TRANSITIONS, CaseStatus, Who, plan
from services.case_intake.domain.wording import say, summary, with_note
from services.case_intake.logic.cases import now_of, start_clocks
from services.case_intake.logic.timeline import check, move, new_step
from services.case_intake.models import Case, CaseAssignee, CaseTransition, KnownGrid, RoutingEntry
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import DispatchBody
from shared.errors import Unprocessable
from shared.messaging.catalogue import CaseAssigned, CaseAssignedV2, CaseSubmitted, CaseSubmittedV2, EventPayload

ROUTED = say("Sent to the deputies of the grid")


async def route(session: AsyncSession, grid_id: str | None) -> list[str]:
    """The deputies of the grid; if it has none, those of its parent, up to the township's grid head."""
    current = grid_id
    while current:
        query = select(RoutingEntry.deputy_id).where(RoutingEntry.grid_id == current, RoutingEntry.active)
        deputies = sorted(set((await session.execute(query)).scalars()))
        if deputies:
            return deputies
        grid = await session.get(KnownGrid, current)
        current = grid.parent_id if grid else None
    return []


async def township_heads(session: AsyncSession, grid_id: str) -> list[str]:
    """The grid heads (网格长) of the township above a grid."""
    current: str | None = grid_id
    while current:
        grid = await session.get(KnownGrid, current)
        if grid is None:
            return []
        if grid.level == "township":
            query = select(RoutingEntry.deputy_id).where(
                RoutingEntry.grid_id == grid.id, RoutingEntry.active, RoutingEntry.role == "grid_head"
            )
            return sorted(set((await session.execute(query)).scalars()))
        current = grid.parent_id
    return []


async def assign(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    deputies: list[str],
    action: str,
    who: Who,
    reason: str,
    now: datetime,
    *,
    new: bool = False,
    said: str | None = None,
) -> CaseTransition:
    """Route (system) or dispatch (office) the case to `deputies`: replaces those it had, restarts the clocks.

    `new`: the case is being filed in this transaction and has no assignees to replace.
    Returns the step it put on the timeline.
    """
    check(case, action, who)
    if not new:
        await session.execute(delete(CaseAssignee).where(CaseAssignee.case_id == case.id))
    session.add_all([CaseAssignee(case_id=case.id, deputy_id=deputy_id) for deputy_id in deputies])
    await start_clocks(session, runtime, case, now)
    return await move(session, runtime, case, action, who, reason, now, said=said, due_at=case.accept_due_at)


async def first_route(session: AsyncSession, runtime: CaseRuntime, case: Case, now: datetime) -> CaseTransition:
    """`assign(..., new=True)` for a case being filed, in memory: its clocks started, its status moved by the
    table, the step made (the system routes: nothing to audit, and the route step has no event of its own); the
    filing writes the case, its steps and its assignees itself (logic/filing.py)."""
    assert TRANSITIONS["route"].event is None  # else it belongs in move()
    to, actor = plan("route", case.status, SYSTEM.actors)
    await start_clocks(session, runtime, case, now)
    from_status, case.status = case.status, to
    return new_step(
        case, action="route", from_status=from_status, to_status=to, who=SYSTEM, actor=actor, reason=ROUTED, at=now
    )


async def emit_routed(
    session: AsyncSession, runtime: CaseRuntime, case: Case, deputies: list[str], *, submitted: bool = False
) -> None:
    """Stage case.case.submitted.v2 (a new case) or case.case.assigned.v2 (routed later, dispatched), and their
    v1 while CASE_PUBLISH_V1_EVENTS is on (their `summary` carries the start of the villager's words)."""
    fields = {
        "case_id": case.id,
        "tracking_code": case.tracking_code,
        "grid_id": case.grid_id,
        "kind": case.kind,
        "category": case.category,
        "submitted_at": case.submitted_at,
        "accept_due_at": case.accept_due_at,
        "assigned_deputy_ids": deputies,
        "urgent": case.urgent,
    }
    if submitted:
        events: list[EventPayload] = [CaseSubmittedV2(**fields, channel=case.channel, public=case.public)]
        legacy: EventPayload = CaseSubmitted(**fields, channel=case.channel, summary=summary(case.description))
    else:
        events = [CaseAssignedV2(**fields, public=case.public)]
        legacy = CaseAssigned(**fields, summary=summary(case.description))
    if runtime.policy.publish_v1_events:
        events.insert(0, legacy)
    for event in events:
        await runtime.emit(session, event, subject=case.id)


async def route_waiting_cases(session: AsyncSession, runtime: CaseRuntime) -> None:
    """Cases filed where no deputy answered yet go to the deputies the grid has now."""
    waiting = (await session.execute(select(Case).where(Case.status == CaseStatus.submitted))).scalars().all()
    now = now_of(runtime)
    for case in waiting:
        deputies = await route(session, case.grid_id)
        if deputies:
            await assign(session, runtime, case, deputies, "route", SYSTEM, ROUTED, now)
            await emit_routed(session, runtime, case, deputies)


async def dispatch(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: DispatchBody) -> None:
    """The office sends a returned (or unrouted) case on: to another grid's deputies, or to named deputies."""
    check(case, "dispatch", who)
    if data.grid_id is not None:
        grid = await session.get(KnownGrid, data.grid_id)
        if grid is None or grid.level != "group":
            raise Unprocessable("Choose a village group or residential compound.", field="grid_id")
        case.grid_id = grid.id
    deputies = sorted(set(data.deputy_ids or await route(session, case.grid_id)))
    if not deputies:
        raise Unprocessable("No deputy answers for this grid yet: name the deputies.", field="deputy_ids")
    now = now_of(runtime)
    reason = with_note(say("Sent by the office to the deputies who answer for it"), data.note)
    await assign(session, runtime, case, deputies, "dispatch", who, reason, now, said=data.note)
    await emit_routed(session, runtime, case, deputies)
