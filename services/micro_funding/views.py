"""Read models: pools and their ledger, the full record of a project for officials, the lists of a project,
the reconciliation of a pool's books, the public page (no personal data: no account, no cited case, and
phone and identity numbers masked in what officials wrote), and what is kept about the caller."""

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain import stages
from services.micro_funding.domain.ledger import MAX_PROBLEMS, EntryKind, audit
from services.micro_funding.models import (
    BudgetLine,
    FundPool,
    KnownCase,
    KnownGrid,
    LedgerEntry,
    Milestone,
    Objection,
    ProgressReport,
    Project,
    ProjectCase,
    ProjectGrid,
    ProjectStep,
    Rating,
)
from services.micro_funding.schemas import (
    BudgetLineRead,
    FundingPersonalData,
    MilestoneRead,
    MyObjectionRead,
    MyRatingRead,
    ProgressRead,
    ProjectMoney,
    ProjectRead,
    PublicProject,
    Reconciliation,
)
from shared.errors import NotFound
from shared.pagination import Page, PageParams, paginate
from shared.privacy import redact
from shared.sheets_out import Column, Language, stream_batches, words


def page_of(model: type[BaseModel], items: Sequence[Any], total: int, page: PageParams) -> Page[Any]:
    """A page of rows shown as `model`."""
    return Page(items=[model.model_validate(item) for item in items], total=total, **page.model_dump())


# ---------------------------------------------------------------- pools and the ledger


async def list_pools(
    session: AsyncSession, params: PageParams, *, year: int | None = None
) -> tuple[list[FundPool], int]:
    query = select(FundPool).order_by(FundPool.year.desc(), FundPool.name)
    if year is not None:
        query = query.where(FundPool.year == year)
    return await paginate(session, query, params)


async def list_entries(
    session: AsyncSession, params: PageParams, **filters: str | None
) -> tuple[list[LedgerEntry], int]:
    return await paginate(session, entries_query(**filters), params)


def entries_query(
    *, pool_id: str | None = None, project_id: str | None = None, kind: str | None = None
) -> Select[tuple[LedgerEntry]]:
    """The ledger, oldest first, of a pool, a project or an entry kind (GET /ledger-entries and its export)."""
    query = select(LedgerEntry).order_by(LedgerEntry.seq)
    if pool_id is not None:
        query = query.where(LedgerEntry.pool_id == pool_id)
    if project_id is not None:
        query = query.where(LedgerEntry.project_id == project_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    return query


LEDGER_COLUMNS = [
    Column("序号", "No.", "int", 7),
    Column("记账时间", "Booked at", "datetime", 17),
    Column("资金池", "Fund pool", width=22),
    Column("项目", "Project", width=28),
    Column("类型", "Entry", width=10),
    Column("金额（元）", "Amount (yuan)", "money", 14),
    Column("资金池可用（元）", "Pool available (yuan)", "money", 16),
    Column("项目余额（元）", "Project balance (yuan)", "money", 16),
    Column("摘要", "Note", width=30),
    Column("凭证号", "Reference", width=16),
    Column("经办账号", "Booked by", width=16),
]
ENTRY_KINDS = {
    "appropriation": ("拨入", "Appropriation"),
    "allocation": ("安排", "Allocation"),
    "disbursement": ("支付", "Disbursement"),
    "release": ("释放", "Release"),
}


async def ledger_rows(session: AsyncSession, language: Language, **filters: str | None) -> AsyncIterator[list[list]]:
    """The entries `entries_query(**filters)` gives, with their pool's and project's names, in batches: money in
    fen (the sheet writes yuan)."""
    query = (
        entries_query(**filters)
        .add_columns(FundPool.name, FundPool.year, Project.title)
        .join(FundPool, FundPool.id == LedgerEntry.pool_id)
        .outerjoin(Project, Project.id == LedgerEntry.project_id)
    )
    async for batch in stream_batches(session, query, scalars=False):
        yield [
            [
                entry.seq,
                entry.at,
                f"{year} {pool}",
                title,
                words(language, *ENTRY_KINDS[entry.kind]) if entry.kind in ENTRY_KINDS else entry.kind,
                entry.amount_fen,
                entry.pool_available_fen,
                entry.project_balance_fen,
                entry.note or None,
                entry.reference or None,
                entry.actor,
            ]
            for entry, pool, year, title in batch
        ]


async def reconciliation(session: AsyncSession, pool: FundPool) -> Reconciliation:
    """Prove the books of a pool balance: replay, compare with the kept balances and with the projects."""
    rows = list(
        (await session.execute(select(LedgerEntry).where(LedgerEntry.pool_id == pool.id).order_by(LedgerEntry.seq)))
        .scalars()
        .all()
    )
    allocated = select(LedgerEntry.project_id, func.sum(LedgerEntry.amount_fen)).where(
        LedgerEntry.pool_id == pool.id, LedgerEntry.kind == EntryKind.allocation.value
    )
    allocations = {
        project_id: amount for project_id, amount in await session.execute(allocated.group_by(LedgerEntry.project_id))
    }
    projects = select(Project.id, Project.status, Project.budget_fen).where(Project.pool_id == pool.id)
    found = audit(rows, pool.total_fen, allocations, [tuple(row) for row in await session.execute(projects)])
    books = found.books
    return Reconciliation(
        pool_id=pool.id,
        entries=found.entries,
        appropriated=books.totals[EntryKind.appropriation],
        allocated=books.totals[EntryKind.allocation],
        disbursed=books.totals[EntryKind.disbursement],
        released=books.totals[EntryKind.release],
        available=books.available,
        held=books.held,
        funded_projects=found.funded_projects,
        balanced=found.balanced,
        problems=found.problems[:MAX_PROBLEMS],
    )


# ---------------------------------------------------------------- projects


async def list_projects(
    session: AsyncSession,
    params: PageParams,
    *,
    own_deputy_id: str | None,
    status: str | None = None,
    pool_id: str | None = None,
    village_id: str | None = None,
    deputy_id: str | None = None,
) -> tuple[list[Project], int]:
    """Projects past their draft, newest change first; `own_deputy_id` also sees that deputy's drafts."""
    query = select(Project).order_by(Project.updated_at.desc(), Project.id)
    visible = Project.status != "draft"
    if own_deputy_id:
        visible = or_(visible, Project.deputy_id == own_deputy_id)
    query = query.where(visible)
    if status is not None:
        query = query.where(Project.status == status)
    if pool_id is not None:
        query = query.where(Project.pool_id == pool_id)
    if deputy_id is not None:
        query = query.where(Project.deputy_id == deputy_id)
    if village_id is not None:
        query = query.where(Project.id.in_(select(ProjectGrid.project_id).where(ProjectGrid.village_id == village_id)))
    return await paginate(session, query, params)


async def list_steps(session: AsyncSession, project_id: str, params: PageParams) -> tuple[list[ProjectStep], int]:
    query = (
        select(ProjectStep).where(ProjectStep.project_id == project_id).order_by(ProjectStep.version, ProjectStep.at)
    )
    return await paginate(session, query, params)


async def list_objections(session: AsyncSession, project_id: str, params: PageParams) -> tuple[list[Objection], int]:
    query = select(Objection).where(Objection.project_id == project_id).order_by(Objection.raised_at, Objection.id)
    return await paginate(session, query, params)


async def list_progress(session: AsyncSession, project_id: str, params: PageParams) -> tuple[list[ProgressReport], int]:
    query = select(ProgressReport).where(ProgressReport.project_id == project_id).order_by(ProgressReport.month)
    return await paginate(session, query, params)


async def list_ratings(session: AsyncSession, project_id: str, params: PageParams) -> tuple[list[Rating], int]:
    query = select(Rating).where(Rating.project_id == project_id).order_by(Rating.at, Rating.id)
    return await paginate(session, query, params)


def rating_average(project: Project) -> float | None:
    return round(project.rating_sum / project.rating_count, 2) if project.rating_count else None


async def money_of(session: AsyncSession, project_ids: list[str]) -> dict[str, ProjectMoney]:
    """Each project's allocated, disbursed and released money and its balance, from the ledger."""
    rows = await session.execute(
        select(LedgerEntry.project_id, LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
        .where(LedgerEntry.project_id.in_(project_ids))
        .group_by(LedgerEntry.project_id, LedgerEntry.kind)
    )
    sums: dict[str, dict[str, int]] = defaultdict(dict)
    for project_id, kind, amount in rows:
        sums[project_id][kind] = int(amount or 0)
    money = {}
    for project_id in project_ids:
        own = sums.get(project_id, {})
        allocated, disbursed, released = (
            own.get(kind.value, 0) for kind in (EntryKind.allocation, EntryKind.disbursement, EntryKind.release)
        )
        money[project_id] = ProjectMoney(
            allocated=allocated, disbursed=disbursed, released=released, balance=allocated - disbursed - released
        )
    return money


async def project_read(session: AsyncSession, project: Project, *, with_cases: bool) -> ProjectRead:
    """The officials' record of a project; the cases it cites only `with_cases` (see logic.projects.may_see_cases)."""
    grids = (await session.execute(select(ProjectGrid).where(ProjectGrid.project_id == project.id))).scalars().all()
    cases = (await session.execute(select(ProjectCase.case_id).where(ProjectCase.project_id == project.id))).scalars()
    lines = (
        await session.execute(
            select(BudgetLine).where(BudgetLine.project_id == project.id).order_by(BudgetLine.position)
        )
    ).scalars()
    milestones = (
        await session.execute(select(Milestone).where(Milestone.project_id == project.id).order_by(Milestone.position))
    ).scalars()
    columns = {column.key: getattr(project, column.key) for column in Project.__table__.columns}
    return ProjectRead.model_validate(
        {
            **columns,
            "rating_average": rating_average(project),
            "grid_ids": sorted(grid.grid_id for grid in grids),
            "village_ids": sorted({grid.village_id for grid in grids}),
            "case_ids": sorted(cases) if with_cases else [],
            "budget_lines": [BudgetLineRead.model_validate(line) for line in lines],
            "milestones": [MilestoneRead.model_validate(milestone) for milestone in milestones],
            "money": (await money_of(session, [project.id]))[project.id],
        }
    )


# ---------------------------------------------------------------- the public page


async def _villages(session: AsyncSession, project_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    rows = await session.execute(
        select(ProjectGrid.project_id, ProjectGrid.village_id, KnownGrid.name)
        .distinct()
        .join(KnownGrid, KnownGrid.id == ProjectGrid.village_id, isouter=True)
        .where(ProjectGrid.project_id.in_(project_ids))
        .order_by(ProjectGrid.village_id)
    )
    villages: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for project_id, village_id, name in rows:
        villages[project_id].append((village_id, name or ""))
    return villages


async def _milestone_counts(session: AsyncSession, project_ids: list[str]) -> dict[str, tuple[int, int]]:
    rows = await session.execute(
        select(Milestone.project_id, func.count(), func.count(Milestone.done_on))
        .where(Milestone.project_id.in_(project_ids))
        .group_by(Milestone.project_id)
    )
    return {project_id: (int(done), int(total)) for project_id, total, done in rows}


async def public_views(session: AsyncSession, projects: list[Project]) -> list[PublicProject]:
    """The public face of a page of projects, with a few grouped queries for the whole page."""
    ids = [project.id for project in projects]
    money, villages, counts = (
        await money_of(session, ids),
        await _villages(session, ids),
        await _milestone_counts(session, ids),
    )
    return [
        PublicProject(
            id=project.id,
            kind=project.kind,
            title=redact(project.title),
            description=redact(project.description),
            beneficiaries=redact(project.beneficiaries),
            beneficiary_count=project.beneficiary_count,
            status=project.status,
            village_ids=[village_id for village_id, _ in villages[project.id]],
            village_names=[name for _, name in villages[project.id]],
            budget=project.budget_fen,
            allocated=money[project.id].allocated,
            spent=money[project.id].disbursed,
            progress_percent=project.progress_percent,
            milestones_done=counts.get(project.id, (0, 0))[0],
            milestones_total=counts.get(project.id, (0, 0))[1],
            rating_average=rating_average(project),
            rating_count=project.rating_count,
            notice_ends_at=project.notice_ends_at,
            updated_at=project.updated_at,
        )
        for project in projects
    ]


async def public_village_page(
    session: AsyncSession, village_id: str, params: PageParams, status: str | None = None
) -> tuple[list[PublicProject], int]:
    """The projects of one village from their public notice on; 404 when the village is not known here."""
    village = await session.get(KnownGrid, village_id)
    if village is None or village.level != "village":
        raise NotFound("No village {village_id}.", params={"village_id": village_id})
    in_village = select(ProjectGrid.project_id).where(ProjectGrid.village_id == village_id)
    query = (
        select(Project)
        .where(Project.id.in_(in_village), Project.status.in_(stages.PUBLIC))
        .order_by(Project.updated_at.desc(), Project.id)
    )
    if status is not None:
        query = query.where(Project.status == status)
    projects, total = await paginate(session, query, params)
    return await public_views(session, projects), total


async def public_progress(session: AsyncSession, project_id: str, params: PageParams) -> Page[ProgressRead]:
    """A public project's progress reports, their notes with phone and identity numbers masked."""
    items, total = await list_progress(session, project_id, params)
    shown = [ProgressRead.model_validate(item).model_copy(update={"note": redact(item.note)}) for item in items]
    return Page(items=shown, total=total, **params.model_dump())


async def public_project(session: AsyncSession, project_id: str) -> PublicProject:
    project = await session.get(Project, project_id)
    if project is None or project.status not in stages.PUBLIC:
        raise NotFound("No public project {project_id}.", params={"project_id": project_id})
    return (await public_views(session, [project]))[0]


# ---------------------------------------------------------------- what is kept about the caller


async def personal_data(session: AsyncSession, account_id: str) -> FundingPersonalData:
    """The account's objections and ratings, all in one answer: the download is one file (a page of it would
    look whole)."""
    objections = await session.execute(
        select(Objection, Project.title)
        .join(Project, Project.id == Objection.project_id)
        .where(Objection.objector == account_id)
        .order_by(Objection.raised_at, Objection.id)
    )
    ratings = await session.execute(
        select(Rating, Project.title)
        .join(Project, Project.id == Rating.project_id)
        .where(Rating.rater == account_id)
        .order_by(Rating.at, Rating.id)
    )
    return FundingPersonalData(
        account_id=account_id,
        objections=[
            MyObjectionRead.model_validate({**_fields(MyObjectionRead, row), "project_title": title})
            for row, title in objections.all()
        ],
        ratings=[
            MyRatingRead.model_validate({**_fields(MyRatingRead, row), "project_title": title})
            for row, title in ratings.all()
        ],
    )


def _fields(model: type[BaseModel], row: object) -> dict[str, Any]:
    return {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}


# ---------------------------------------------------------------- the printed public notice


@dataclass
class NoticeData:
    """What a project's public notice (公示) prints: its public face, the budget's lines and the milestones, the
    cases it answers (kind, category, place and status only), and when the notice began."""

    project: PublicProject
    lines: list[BudgetLine]
    milestones: list[Milestone]
    cases: list[tuple[KnownCase, str]]
    """Each cited case with its grid's name."""
    notice_days: int | None
    notice_started_at: datetime | None


async def notice_data(session: AsyncSession, project_id: str) -> NoticeData:
    """The notice of a public project; 404 for a project not (yet, or no longer) public."""
    shown = await public_project(session, project_id)
    project = await session.get(Project, project_id)
    assert project is not None  # public_project found it
    lines = select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.position)
    milestones = select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.position)
    cases = (
        select(KnownCase, KnownGrid.name)
        .join(ProjectCase, ProjectCase.case_id == KnownCase.id)
        .join(KnownGrid, KnownGrid.id == KnownCase.grid_id, isouter=True)
        .where(ProjectCase.project_id == project_id)
        .order_by(KnownCase.at, KnownCase.id)
    )
    started = select(func.max(ProjectStep.at)).where(
        ProjectStep.project_id == project_id, ProjectStep.to_status == "in_notice"
    )
    return NoticeData(
        project=shown,
        lines=list((await session.execute(lines)).scalars()),
        milestones=list((await session.execute(milestones)).scalars()),
        cases=[(case, name or "") for case, name in (await session.execute(cases)).all()],
        notice_days=project.notice_days,
        notice_started_at=(await session.execute(started)).scalar_one_or_none(),
    )
