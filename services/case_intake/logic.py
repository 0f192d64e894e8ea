"""Case rules: filing, routing to the deputies of the case's grid, the deadlines, and who may see what."""

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import Case, CaseAssignee, CaseTransition, KnownGrid, RoutingEntry
from services.case_intake.schemas import CaseCreate, CaseRead, TransitionRead
from shared.auth import Principal, Role
from shared.events.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    CaseAssigned,
    CaseSubmitted,
    GridCreated,
)
from shared.pagination import PageParams, paginate
from shared.problems import Forbidden, NotFound, Unprocessable
from shared.service import ServiceRuntime

ACCEPT_WITHIN = {
    "request": timedelta(hours=24),
    "dispute": timedelta(hours=24),
    "suggestion": timedelta(hours=72),
    "opinion": timedelta(hours=72),
}
SUMMARY_LENGTH = 140
STAFF_ROLES = (Role.station_staff, Role.npc_office)


def new_tracking_code(now: datetime) -> str:
    """Short and readable aloud over the phone, e.g. SS-2611-48213."""
    return f"SS-{now:%y%m}-{secrets.randbelow(100_000):05d}"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


async def route(session: AsyncSession, grid_id: str) -> list[str]:
    """The deputies of the grid; if it has none, those of its parent, up to the township's grid head."""
    current: str | None = grid_id
    while current:
        query = select(RoutingEntry.deputy_id).where(RoutingEntry.grid_id == current, RoutingEntry.active)
        deputies = sorted(set((await session.execute(query)).scalars()))
        if deputies:
            return deputies
        grid = await session.get(KnownGrid, current)
        current = grid.parent_id if grid else None
    return []


async def _unique_tracking_code(session: AsyncSession, now: datetime) -> str:
    while True:
        code = new_tracking_code(now)
        if not (await session.execute(select(Case.id).where(Case.tracking_code == code))).first():
            return code


async def submit_case(
    session: AsyncSession, runtime: ServiceRuntime, data: CaseCreate, principal: Principal | None
) -> Case:
    grid = await session.get(KnownGrid, data.grid_id)
    if grid is None or grid.level != "group":
        raise Unprocessable("Choose a village group or residential compound (the lowest level of the grid).")
    now = datetime.now(UTC)
    deputies = await route(session, data.grid_id)
    case = Case(
        id=str(uuid.uuid4()),
        tracking_code=await _unique_tracking_code(session, now),
        status="assigned" if deputies else "submitted",
        submitted_by=principal.subject if principal else None,
        submitted_at=now,
        accept_due_at=now + ACCEPT_WITHIN[data.kind],
        **data.model_dump(),
    )
    session.add(case)
    session.add_all([CaseAssignee(case_id=case.id, deputy_id=deputy_id) for deputy_id in deputies])
    _record(session, case, None, "submitted", principal, "Filed through " + data.channel, now)
    if deputies:
        _record(session, case, "submitted", "assigned", None, "Routed to the deputies of the grid", now)
    await session.flush()
    await runtime.emit(
        session,
        CaseSubmitted(
            case_id=case.id,
            tracking_code=case.tracking_code,
            grid_id=case.grid_id,
            kind=case.kind,
            category=case.category,
            channel=case.channel,
            summary=case.description[:SUMMARY_LENGTH],
            submitted_at=now,
            accept_due_at=case.accept_due_at,
            assigned_deputy_ids=deputies,
        ),
        subject=case.id,
    )
    return case


def _record(
    session: AsyncSession,
    case: Case,
    from_status: str | None,
    to_status: str,
    actor: Principal | None,
    reason: str,
    at: datetime,
) -> None:
    session.add(
        CaseTransition(
            id=str(uuid.uuid4()),
            case_id=case.id,
            from_status=from_status,
            to_status=to_status,
            actor=actor.subject if actor else "system",
            reason=reason,
            at=at,
        )
    )


async def get_case(session: AsyncSession, case_id: str) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound(f"No case {case_id}.")
    return case


async def get_case_by_tracking_code(session: AsyncSession, code: str) -> Case:
    case = (await session.execute(select(Case).where(Case.tracking_code == code))).scalar_one_or_none()
    if case is None:
        raise NotFound("No case has this tracking code.")
    return case


async def assignees(session: AsyncSession, case_id: str) -> list[str]:
    query = select(CaseAssignee.deputy_id).where(CaseAssignee.case_id == case_id).order_by(CaseAssignee.deputy_id)
    return list((await session.execute(query)).scalars())


async def authorize_read(session: AsyncSession, case: Case, principal: Principal) -> None:
    if principal.has(*STAFF_ROLES) or (case.submitted_by and case.submitted_by == principal.subject):
        return
    if principal.deputy_id and principal.deputy_id in await assignees(session, case.id):
        return
    raise Forbidden("Only the filer, the deputies handling it and the office may see this case.")


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    grid_id: str | None = None,
) -> tuple[list[Case], int]:
    query = select(Case).order_by(Case.submitted_at.desc(), Case.id)
    if not principal.has(*STAFF_ROLES):
        mine = Case.submitted_by == principal.subject
        if principal.deputy_id:
            routed = select(CaseAssignee.case_id).where(CaseAssignee.deputy_id == principal.deputy_id)
            mine = mine | Case.id.in_(routed)
        query = query.where(mine)
    if status:
        query = query.where(Case.status == status)
    if grid_id:
        query = query.where(Case.grid_id == grid_id)
    return await paginate(session, query, params)


async def read_model(session: AsyncSession, case: Case) -> CaseRead:
    query = (
        select(CaseTransition)
        .where(CaseTransition.case_id == case.id)
        .order_by(CaseTransition.at, CaseTransition.to_status.desc())
    )
    timeline = [TransitionRead.model_validate(item) for item in (await session.execute(query)).scalars()]
    return CaseRead(
        id=case.id,
        tracking_code=case.tracking_code,
        kind=case.kind,
        category=case.category,
        description=case.description,
        grid_id=case.grid_id,
        channel=case.channel,
        status=case.status,
        submitted_at=case.submitted_at,
        accept_due_at=case.accept_due_at,
        assigned_deputy_ids=await assignees(session, case.id),
        contact_phone_masked=mask_phone(case.contact_phone),
        timeline=timeline,
    )


async def on_grid_created(session: AsyncSession, _: ServiceRuntime, payload: GridCreated) -> None:
    await session.merge(
        KnownGrid(id=payload.grid_id, name=payload.name, level=payload.level, parent_id=payload.parent_id)
    )


async def on_assignment_started(session: AsyncSession, runtime: ServiceRuntime, payload: AssignmentStarted) -> None:
    await session.merge(
        RoutingEntry(
            assignment_id=payload.assignment_id,
            grid_id=payload.grid_id,
            deputy_id=payload.deputy_id,
            role=payload.role,
            active=True,
        )
    )
    await session.flush()
    await route_waiting_cases(session, runtime)


async def route_waiting_cases(session: AsyncSession, runtime: ServiceRuntime) -> None:
    """Cases filed where no deputy answered yet go to the deputies the grid has now."""
    waiting = (await session.execute(select(Case).where(Case.status == "submitted"))).scalars().all()
    now = datetime.now(UTC)
    for case in waiting:
        deputies = await route(session, case.grid_id)
        if not deputies:
            continue
        case.status = "assigned"
        session.add_all([CaseAssignee(case_id=case.id, deputy_id=deputy_id) for deputy_id in deputies])
        _record(session, case, "submitted", "assigned", None, "Routed to the deputies of the grid", now)
        await runtime.emit(
            session,
            CaseAssigned(
                case_id=case.id,
                tracking_code=case.tracking_code,
                grid_id=case.grid_id,
                kind=case.kind,
                category=case.category,
                summary=case.description[:SUMMARY_LENGTH],
                submitted_at=case.submitted_at,
                accept_due_at=case.accept_due_at,
                assigned_deputy_ids=deputies,
            ),
            subject=case.id,
        )


async def on_assignment_ended(session: AsyncSession, _: ServiceRuntime, payload: AssignmentEnded) -> None:
    await session.execute(
        update(RoutingEntry).where(RoutingEntry.assignment_id == payload.assignment_id).values(active=False)
    )
