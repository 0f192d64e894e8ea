"""What other services tell the deputy service: its copies of their facts, kept by the events they publish.

CASE: routing and every step of a case keep each deputy's inbox current; accepting, referring, resolving and
mediating go on the record of duty (summed up by category, never with the tracking code). STATION: reception
duty held, visitors received with an issue (and the suggestions they became; what was said is a private note).
FUNDING: micro-projects proposed and completed (and, when one cites a suggestion, on the suggestion). GRID: the
tree, to count statistics by township and village, and the assignments (the grids a deputy answers for, on the
duty report). An event older than what a copy holds is
dropped.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.duty import actors, from_project_step, from_transition, transition_roles
from services.deputy.domain.tree import Place, place_in_tree
from services.deputy.logic.record import record_once
from services.deputy.logic.suggestion_projects import project_stepped
from services.deputy.models import InboxCase, KnownAssignment, KnownGrid
from shared.db import upsert_newer
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    CaseAssignedV2,
    CaseDispatched,
    CaseSubmittedV2,
    CaseTransitioned,
    DisputeMediated,
    GridChanged,
    GridCreated,
    GridRetired,
    ProjectStepped,
    SessionHeld,
    StationIssueRaised,
)
from shared.projections import project_grid
from shared.service import ServiceRuntime

# --- the inbox ------------------------------------------------------------------------------------------


async def _upsert_inbox(
    session: AsyncSession,
    deputy_ids: list[str],
    case_id: str,
    at: datetime,
    values: dict[str, Any],
    defaults: dict[str, Any],
) -> None:
    """Apply `values` to each deputy's inbox row for the case (made with `defaults` if new), unless a later event
    got there first."""
    rows = [
        {"deputy_id": deputy_id, "case_id": case_id, **defaults, **values, "updated_at": at} for deputy_id in deputy_ids
    ]
    await upsert_newer(session, InboxCase.__table__, rows, changes=tuple(values), stamp="updated_at")


async def on_case_routed(session: AsyncSession, _: ServiceRuntime, payload: CaseSubmittedV2 | CaseAssignedV2) -> None:
    """A case submitted to, or later assigned to, deputies lands in each one's inbox. The event carries none of
    the villager's words: the row's `summary` is the category's code (the deputy reads the case itself)."""
    values = {
        "tracking_code": payload.tracking_code,
        "grid_id": payload.grid_id,
        "kind": payload.kind,
        "category": payload.category,
        "summary": payload.category,
        "status": "assigned",
        "submitted_at": payload.submitted_at,
        "accept_due_at": payload.accept_due_at,
    }
    await _upsert_inbox(session, payload.assigned_deputy_ids, payload.case_id, payload.submitted_at, values, {})


async def _leave_inboxes(session: AsyncSession, payload: CaseTransitioned) -> None:
    """A case routed away leaves the inbox of the deputies it left (unless a later step got there first)."""
    if payload.deputy_ids:
        await session.execute(
            delete(InboxCase).where(
                InboxCase.case_id == payload.case_id,
                InboxCase.deputy_id.not_in(payload.deputy_ids),
                or_(InboxCase.updated_at.is_(None), InboxCase.updated_at <= payload.at),
            )
        )


async def _dispatched(session: AsyncSession, payload: CaseDispatched) -> None:
    """The office sent the case on: it leaves the inbox of the deputies it left (a returned case no longer waits
    there, to be refused when opened), and those it kept wait to accept it again by the new deadline. A deputy it
    newly reached gets the row from case.case.assigned.v2, which carries when the case was filed."""
    await _leave_inboxes(session, payload)
    values = {"status": payload.to_status, "grid_id": payload.grid_id, "updated_at": payload.at}
    if payload.due_at is not None:
        values["accept_due_at"] = payload.due_at
    await session.execute(
        update(InboxCase)
        .where(
            InboxCase.case_id == payload.case_id,
            InboxCase.deputy_id.in_(payload.deputy_ids),
            or_(InboxCase.updated_at.is_(None), InboxCase.updated_at <= payload.at),
        )
        .values(**values)
    )


async def _update_inbox(session: AsyncSession, payload: CaseTransitioned) -> None:
    """Keep each routed deputy's inbox status current; a case routed away leaves the inbox of those it left."""
    if isinstance(payload, CaseDispatched):
        await _dispatched(session, payload)
        return
    values = {"status": payload.to_status, "grid_id": payload.grid_id, "category": payload.category}
    defaults = {
        "tracking_code": payload.tracking_code,
        "kind": payload.kind,
        "summary": payload.category,
        "submitted_at": payload.at,
        "accept_due_at": payload.due_at or payload.at,
    }
    await _upsert_inbox(session, payload.deputy_ids, payload.case_id, payload.at, values, defaults)
    await _leave_inboxes(session, payload)


# --- the record of duty ---------------------------------------------------------------------------------


async def on_case_transitioned(session: AsyncSession, _: ServiceRuntime, payload: CaseTransitioned) -> None:
    """Every step keeps the inboxes current; accepting, referring and resolving go on the record of duty."""
    await _update_inbox(session, payload)
    counted = from_transition(payload)
    if counted is None:
        return
    kind, metric, five_one = counted
    for deputy_id in actors(payload):
        await record_once(
            session,
            deputy_id,
            kind,
            f"{kind}:{payload.case_id}",
            occurred_at=payload.at,
            grid_id=payload.grid_id,
            case_id=payload.case_id,
            metric=metric,
            five_one=five_one,
            summary=payload.category,  # public: never the tracking code, which opens the case's tracking view
            roles=transition_roles(payload, kind),
        )


async def on_dispute_mediated(session: AsyncSession, _: ServiceRuntime, payload: DisputeMediated) -> None:
    """A mediation of a dispute: on each mediator's record; with an agreement it is the year's dispute resolved."""
    for deputy_id in payload.mediator_deputy_ids:
        await record_once(
            session,
            deputy_id,
            "dispute_mediated",
            f"dispute_mediated:{payload.case_id}",
            occurred_at=payload.at,
            grid_id=payload.grid_id,
            case_id=payload.case_id,
            metric="disputes_mediated",
            five_one="dispute" if payload.agreement_reached else None,
            summary="调解协议达成" if payload.agreement_reached else "调解",
        )


async def on_session_held(session: AsyncSession, _: ServiceRuntime, payload: SessionHeld) -> None:
    """Reception duty held at a liaison station goes on each deputy on duty's record."""
    for deputy_id in payload.deputy_ids:
        await record_once(
            session,
            deputy_id,
            "reception_held",
            f"reception_held:{payload.session_id}",
            occurred_at=payload.starts_at,
            summary="联络站接待",
        )


async def on_station_issue(session: AsyncSession, _: ServiceRuntime, payload: StationIssueRaised) -> None:
    """A visitor received at a station with an issue to follow up; routed as a suggestion, it goes on the record
    as one to make (a deputy cites it in a suggestion; only an accepted suggestion counts as one made). The
    public reads its category; what the visitor raised is a private note."""
    suggestion = payload.route == "suggestion"
    said = {"summary": payload.category, "notes": payload.summary}
    for deputy_id in payload.deputy_ids:
        await record_once(
            session,
            deputy_id,
            "visitor_received",
            f"visitor_received:{payload.record_id}",
            occurred_at=payload.raised_at,
            grid_id=payload.grid_id,
            case_id=payload.case_id,
            metric="visitors",
            **said,
        )
        if suggestion:
            await record_once(
                session,
                deputy_id,
                "suggestion",
                f"suggestion:{payload.case_id}",
                occurred_at=payload.raised_at,
                grid_id=payload.grid_id,
                case_id=payload.case_id,
                **said,
            )


async def on_project_step(session: AsyncSession, _: ServiceRuntime, payload: ProjectStepped) -> None:
    """A micro-project proposed (submitted) or completed (accepted, 验收) by deputies; completed is a matter done."""
    kind, metric, five_one = from_project_step(payload)
    for deputy_id in payload.deputy_ids:
        await record_once(
            session,
            deputy_id,
            kind,
            f"{kind}:{payload.project_id}",
            occurred_at=payload.at,
            grid_id=payload.grid_ids[0] if payload.grid_ids else None,
            metric=metric,
            five_one=five_one,
            summary=payload.title[:200],
        )
    await project_stepped(session, payload)


# --- the grid tree --------------------------------------------------------------------------------------


async def _place_of(session: AsyncSession, grid_id: str) -> Place | None:
    query = select(KnownGrid.township_id, KnownGrid.village_id).where(KnownGrid.id == grid_id)
    row = (await session.execute(query)).first()
    return {"township_id": row.township_id, "village_id": row.village_id} if row else None


async def _replace_children(session: AsyncSession, grid_id: str) -> None:
    """Redo the township and village of the grid's children from its own (a move carries them; a parent that
    arrives after its children places them)."""
    place = await _place_of(session, grid_id)
    query = select(KnownGrid.id, KnownGrid.level).where(KnownGrid.parent_id == grid_id)
    for child_id, level in (await session.execute(query)).all():
        values = place_in_tree(child_id, level, place)
        await session.execute(update(KnownGrid.__table__).where(KnownGrid.id == child_id).values(**values))
        if level != "group":
            await _replace_children(session, child_id)


async def on_grid_event(
    session: AsyncSession, _: ServiceRuntime, payload: GridCreated | GridChanged | GridRetired
) -> None:
    """Keep the tree with each grid's township and village; a stale event is dropped."""
    parent = await _place_of(session, payload.parent_id) if payload.parent_id else None
    place = place_in_tree(payload.grid_id, payload.level, parent)
    await project_grid(session, KnownGrid.__table__, payload, **place)
    if payload.level != "group":
        await _replace_children(session, payload.grid_id)


# --- the assignments ------------------------------------------------------------------------------------


async def on_assignment_started(session: AsyncSession, _: ServiceRuntime, payload: AssignmentStarted) -> None:
    """A deputy answers for a grid from a day (an end that arrived first is kept)."""
    assignment = await session.get(KnownAssignment, payload.assignment_id)
    if assignment is None:
        assignment = KnownAssignment(id=payload.assignment_id, ends_on=None)
        session.add(assignment)
    assignment.deputy_id, assignment.grid_id = payload.deputy_id, payload.grid_id
    assignment.role, assignment.basis, assignment.starts_on = payload.role, payload.basis, payload.starts_on


async def on_assignment_ended(session: AsyncSession, _: ServiceRuntime, payload: AssignmentEnded) -> None:
    """The assignment ended on a day; one never seen started is kept with that day until its start arrives."""
    assignment = await session.get(KnownAssignment, payload.assignment_id)
    if assignment is None:
        assignment = KnownAssignment(
            id=payload.assignment_id,
            deputy_id=payload.deputy_id,
            grid_id=payload.grid_id,
            role="member",
            basis="",
            starts_on=payload.ends_on,
        )
        session.add(assignment)
    assignment.ends_on = payload.ends_on
