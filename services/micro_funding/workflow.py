"""The review and closing stages: submission, screening, deliberation, public notice with objections,
approval (which allocates the budget from the pool), acceptance, publication, rejection and withdrawal."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding import logic, stages
from services.micro_funding.ledger import Entry, EntryKind
from services.micro_funding.models import (
    Objection,
    Project,
)
from services.micro_funding.projects import get_project, take_step
from services.micro_funding.schemas import (
    AcceptanceCreate,
    ActionNote,
    DeliberationCreate,
    NoticeCreate,
    ObjectionCreate,
    ObjectionRuling,
    ReasonCreate,
    ScreeningCreate,
    ScreeningDecision,
)
from shared.auth import Principal, Role
from shared.errors import Conflict, NotFound, Unprocessable
from shared.service import ServiceRuntime

# ---------------------------------------------------------------- review and closing


async def submit(session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str) -> Project:
    project = await get_project(session, project_id, lock=True)
    return await take_step(session, runtime, principal, project, "submit")


async def screen(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ScreeningCreate
) -> Project:
    """Station staff (township) screen a submitted proposal: it passes on, or is rejected with the note."""
    project = await get_project(session, project_id, lock=True)
    if data.decision == ScreeningDecision.rejected and not data.note:
        raise Unprocessable("A rejection needs a note saying why.")
    project.screening_note = data.note or None
    action = "screen" if data.decision == ScreeningDecision.passed else "reject"
    if action == "reject":
        principal.require(Role.station_staff)
        project.status_reason = data.note
    return await take_step(session, runtime, principal, project, action, data.note)


async def deliberate(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: DeliberationCreate
) -> Project:
    """The NPC office records its review and the vote; more votes for than against passes, else rejected."""
    project = await get_project(session, project_id, lock=True)
    stages.authorise("deliberate", principal, deputy_id=project.deputy_id, status=project.status)
    stages.check_source("deliberate", project.status)
    project.review = data.review
    project.votes_for, project.votes_against, project.votes_abstain = (
        data.votes_for,
        data.votes_against,
        data.votes_abstain,
    )
    tally = f"{data.votes_for} for, {data.votes_against} against, {data.votes_abstain} abstaining"
    if data.votes_for > data.votes_against:
        return await take_step(session, runtime, principal, project, "deliberate", tally)
    project.status_reason = f"The vote did not pass ({tally})."
    return await take_step(session, runtime, principal, project, "reject", project.status_reason)


async def start_notice(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: NoticeCreate
) -> Project:
    """The NPC office opens the public notice for `days` days; objections are taken until it ends."""
    project = await get_project(session, project_id, lock=True)
    project.notice_days = data.days
    project.notice_ends_at = runtime.clock.now() + timedelta(days=data.days)
    return await take_step(session, runtime, principal, project, "notice", f"{data.days} days")


async def reject(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ReasonCreate
) -> Project:
    project = await get_project(session, project_id, lock=True)
    project.status_reason = data.reason
    return await take_step(session, runtime, principal, project, "reject", data.reason)


async def withdraw(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ReasonCreate
) -> Project:
    project = await get_project(session, project_id, lock=True)
    project.status_reason = data.reason
    return await take_step(session, runtime, principal, project, "withdraw", data.reason)


async def publish(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ActionNote
) -> Project:
    project = await get_project(session, project_id, lock=True)
    return await take_step(session, runtime, principal, project, "publish", data.note)


async def accept(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: AcceptanceCreate
) -> Project:
    """The acceptance (验收): the project is completed, and its cases are told so (funding.project.completed)."""
    project = await get_project(session, project_id, lock=True)
    project.acceptance_report = data.report
    await take_step(session, runtime, principal, project, "accept")
    project.progress_percent = 100
    return project


# ---------------------------------------------------------------- notice and objections


def _noticing(project: Project, now: datetime) -> None:
    if project.status != "in_notice" or project.notice_ends_at is None:
        raise Conflict(f"Objections are taken during the public notice; this project is {project.status}.")
    if now >= project.notice_ends_at:
        raise Conflict("The public notice of this project has ended.")


async def raise_objection(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal | None,
    project_id: str,
    data: ObjectionCreate,
) -> Objection:
    """Anyone may object during the public notice, signed in or not; the objector is never shown."""
    project = await get_project(session, project_id)
    _noticing(project, runtime.clock.now())
    objection = Objection(
        id=str(uuid.uuid4()),
        project_id=project.id,
        text=data.text,
        objector=principal.subject[:64] if principal else None,
        status="pending",
        ruling=None,
        raised_at=runtime.clock.now(),
        ruled_at=None,
    )
    session.add(objection)
    await session.flush()
    return objection


async def rule_objection(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    project_id: str,
    objection_id: str,
    data: ObjectionRuling,
) -> Objection:
    """The NPC office upholds an objection (the project goes back to draft) or dismisses it."""
    principal.require(Role.npc_office)
    project = await get_project(session, project_id, lock=True)
    objection = await session.get(Objection, objection_id)
    if objection is None or objection.project_id != project.id:
        raise NotFound(f"No objection {objection_id} to project {project_id}.")
    if objection.status != "pending":
        raise Conflict(f"This objection was already {objection.status}.")
    now = runtime.clock.now()
    objection.status, objection.ruling, objection.ruled_at = ("upheld" if data.upheld else "dismissed"), data.note, now
    if data.upheld:
        await take_step(session, runtime, principal, project, "return", data.note)
        project.status_reason, project.notice_ends_at = data.note, None
        await _close_pending(session, project.id, now)
    await session.flush()
    return objection


async def _close_pending(session: AsyncSession, project_id: str, now: datetime) -> None:
    pending = await session.execute(
        select(Objection).where(Objection.project_id == project_id, Objection.status == "pending")
    )
    for other in pending.scalars():
        other.status, other.ruling, other.ruled_at = "closed", "The project went back to its deputy's draft.", now


async def approve(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ActionNote
) -> Project:
    """Approve and fund: after the notice, with no objection pending, allocate the budget from the pool.

    The pool row is locked before the project is read again, so of many concurrent approvals only those
    the pool can pay succeed; the others get 409 and stay in notice.
    """
    principal.require(Role.npc_office)
    pool_id = (await get_project(session, project_id)).pool_id
    await logic.lock_pool(session, pool_id)
    project = await get_project(session, project_id, lock=True)
    stages.check_source("approve", project.status)
    if project.notice_ends_at is not None and runtime.clock.now() < project.notice_ends_at:
        raise Conflict(f"The public notice runs until {project.notice_ends_at.isoformat()}.")
    pending = await session.execute(
        select(func.count()).where(Objection.project_id == project.id, Objection.status == "pending")
    )
    if pending.scalar_one():
        raise Conflict("Rule on every objection before approving.")
    entry = Entry(EntryKind.allocation, project.budget_fen, project.id)
    await logic.post_entry(session, runtime, pool_id, entry, actor=principal.subject, note=data.note)
    return await take_step(session, runtime, principal, project, "approve", data.note)
