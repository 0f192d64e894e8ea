"""Delivery of a funded project: monthly progress, money paid out or released by finance, villagers' ratings."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain import stages
from services.micro_funding.domain.ledger import Entry, EntryKind
from services.micro_funding.domain.money import format_fen
from services.micro_funding.logic.ledger import current_books, lock_pool, post_entry
from services.micro_funding.logic.projects import get_project, project_facts, refuse_proposer, take_step
from services.micro_funding.models import LedgerEntry, Milestone, ProgressReport, Project, Rating
from services.micro_funding.schemas import DisbursementCreate, ProgressCreate, RatingCreate, ReleaseCreate
from shared import audit, i18n
from shared.auth import Principal, Role
from shared.errors import Conflict, Unprocessable
from shared.messaging import catalogue as events
from shared.service import ServiceRuntime


async def report_progress(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ProgressCreate
) -> ProgressReport:
    """A monthly progress report by the project's deputy or station staff; the first one starts the project."""
    project = await get_project(session, project_id, lock=True)
    role = stages.authorise("start", principal, deputy_id=project.deputy_id, status=project.status)
    if project.status not in stages.REPORTABLE:
        raise Conflict(
            "Progress is reported on funded projects in progress; this one is {status}.",
            params={"status": i18n.code("project", project.status)},
        )
    if await session.scalar(
        select(ProgressReport.id).where(ProgressReport.project_id == project.id, ProgressReport.month == data.month)
    ):
        raise Conflict("Progress for {month} was already reported.", params={"month": data.month})
    await _complete_milestones(session, project.id, data.completed_milestone_ids, runtime.clock.now())
    if project.status == "funded":
        await take_step(session, runtime, principal, project, "start", f"first report: {data.month}")
    report = ProgressReport(
        id=str(uuid.uuid4()),
        project_id=project.id,
        month=data.month,
        percent=data.percent,
        note=data.note,
        reporter=f"{role}:{principal.subject}"[:64],
        at=runtime.clock.now(),
    )
    session.add(report)
    project.progress_percent = data.percent
    project.updated_at = runtime.clock.now()
    await session.flush()
    detail = {"month": data.month, "percent": data.percent}
    await audit.record(session, principal, "funding.project.progress", "project", project.id, **detail)
    facts = await project_facts(session, project.id)
    await runtime.emit(
        session,
        events.ProjectProgressed(
            project_id=project.id,
            pool_id=project.pool_id,
            village_ids=facts["village_ids"],
            month=data.month,
            percent=data.percent,
            at=report.at,
        ),
        subject=project.id,
    )
    return report


async def _complete_milestones(session: AsyncSession, project_id: str, ids: list[str], now: datetime) -> None:
    if not ids:
        return
    rows = (
        (await session.execute(select(Milestone).where(Milestone.project_id == project_id, Milestone.id.in_(ids))))
        .scalars()
        .all()
    )
    if len(rows) != len(set(ids)):
        raise Unprocessable("Some completed milestones are not milestones of this project.")
    for milestone in rows:
        milestone.done_on = milestone.done_on or now.date()


async def _money_project(
    session: AsyncSession, principal: Principal, project_id: str, allowed: tuple[str, ...], action: str
) -> Project:
    principal.require(Role.finance)
    first = await get_project(session, project_id)
    refuse_proposer(action, principal, first)
    pool_id = first.pool_id
    await lock_pool(session, pool_id)
    project = await get_project(session, project_id, lock=True)
    if project.status not in allowed:
        raise Conflict(
            "Money moves on funded projects only in {allowed}; this one is {status}.",
            params={"allowed": ", ".join(allowed), "status": i18n.code("project", project.status)},
        )
    return project


async def disburse(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: DisbursementCreate
) -> LedgerEntry:
    """Finance pays out of the project's allocation; never more than the allocation has left."""
    principal.require(Role.finance)
    project = await _money_project(session, principal, project_id, stages.DISBURSABLE, "disburse")
    entry = Entry(EntryKind.disbursement, data.amount, project.id)
    row = await post_entry(
        session, runtime, project.pool_id, entry, actor=principal.subject, note=data.purpose, reference=data.reference
    )
    await _audit_money(session, principal, "funding.ledger.disburse", row)
    return row


async def release(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ReleaseCreate
) -> LedgerEntry:
    """Finance gives unspent allocation back to the pool (all that is left when no amount is given)."""
    principal.require(Role.finance)
    project = await _money_project(session, principal, project_id, stages.RELEASABLE, "release")
    left = (await current_books(session, project.pool_id, project.id)).balance(project.id)
    amount = left if data.amount is None else data.amount
    if amount <= 0:
        raise Conflict("Nothing is left to release.")
    entry = Entry(EntryKind.release, amount, project.id)
    row = await post_entry(session, runtime, project.pool_id, entry, actor=principal.subject, note=data.note)
    await _audit_money(session, principal, "funding.ledger.release", row)
    return row


async def _audit_money(session: AsyncSession, principal: Principal, action: str, row: LedgerEntry) -> None:
    detail = {"entry_id": row.id, "pool_id": row.pool_id, "amount": format_fen(row.amount_fen)}
    await audit.record(session, principal, action, "project", row.project_id, **detail)


async def rate(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: RatingCreate
) -> Rating:
    """A villager rates a delivered project once; the first rating opens the evaluated stage."""
    principal.require(Role.villager)
    project = await get_project(session, project_id, lock=True)
    refuse_proposer("evaluate", principal, project)
    if project.status not in stages.RATEABLE:
        raise Conflict(
            "Delivered projects are rated after acceptance; this one is {status}.",
            params={"status": i18n.code("project", project.status)},
        )
    rater = principal.subject[:64]
    if await session.scalar(select(Rating.id).where(Rating.project_id == project.id, Rating.rater == rater)):
        raise Conflict("You already rated this project.")
    rating = Rating(
        id=str(uuid.uuid4()),
        project_id=project.id,
        rater=rater,
        score=data.score,
        comment=data.comment,
        at=runtime.clock.now(),
    )
    session.add(rating)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("You already rated this project.") from error
    project.rating_count += 1
    project.rating_sum += data.score
    if project.status == "accepted":
        await take_step(session, runtime, principal, project, "evaluate")
    return rating
