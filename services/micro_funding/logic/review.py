"""The review and closing stages: submission, screening, deliberation, public notice, approval (which
allocates the budget from the pool), acceptance, publication, rejection and withdrawal."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain import stages
from services.micro_funding.domain.ledger import Entry, EntryKind
from services.micro_funding.logic.ledger import lock_pool, post_entry
from services.micro_funding.logic.projects import get_project, refuse_proposer, take_step
from services.micro_funding.models import Objection, Project
from services.micro_funding.schemas import (
    AcceptanceCreate,
    ActionNote,
    DeliberationCreate,
    NoticeCreate,
    ReasonCreate,
    ScreeningCreate,
    ScreeningDecision,
)
from shared.auth import Principal, Role
from shared.errors import Conflict, Unprocessable
from shared.service import ServiceRuntime


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
    stages.authorise("deliberate", principal, deputy_id=project.deputy_id, status=project.status, owner=project.owner)
    stages.check_source("deliberate", project.status)
    project.review = data.review
    project.votes_for, project.votes_against, project.votes_abstain = (
        data.votes_for,
        data.votes_against,
        data.votes_abstain,
    )
    tally = f"{data.votes_for} for, {data.votes_against} against, {data.votes_abstain} abstaining"
    if stages.vote_passes(data.votes_for, data.votes_against):
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


async def approve(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ActionNote
) -> Project:
    """Approve and fund: after the notice, with no objection pending, allocate the budget from the pool.

    The pool row is locked before the project is read again, so of many concurrent approvals only those
    the pool can pay succeed; the others get 409 and stay in notice.
    """
    principal.require(Role.npc_office)
    first = await get_project(session, project_id)
    refuse_proposer("approve", principal, first)
    pool_id = first.pool_id
    await lock_pool(session, pool_id)
    project = await get_project(session, project_id, lock=True)
    stages.check_source("approve", project.status)
    stages.check_notice_over(project.notice_ends_at, runtime.clock.now())
    pending = await session.execute(
        select(func.count()).where(Objection.project_id == project.id, Objection.status == "pending")
    )
    if pending.scalar_one():
        raise Conflict("Rule on every objection before approving.")
    entry = Entry(EntryKind.allocation, project.budget_fen, project.id)
    await post_entry(session, runtime, pool_id, entry, actor=principal.subject, note=data.note)
    return await take_step(session, runtime, principal, project, "approve", data.note)
