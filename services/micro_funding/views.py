"""Read models of projects: the full record for officials, and the public page (no personal data)."""

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding import stages
from services.micro_funding.ledger import EntryKind
from services.micro_funding.models import (
    BudgetLine,
    KnownGrid,
    LedgerEntry,
    Milestone,
    Project,
    ProjectCase,
    ProjectGrid,
)
from services.micro_funding.schemas import (
    BudgetLineRead,
    MilestoneRead,
    ProjectMoney,
    ProjectRead,
    PublicProject,
)
from shared.errors import NotFound
from shared.pagination import PageParams, paginate


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


async def project_read(session: AsyncSession, project: Project) -> ProjectRead:
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
            "case_ids": sorted(cases),
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
            title=project.title,
            description=project.description,
            beneficiaries=project.beneficiaries,
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
        raise NotFound(f"No village {village_id}.")
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


async def public_project(session: AsyncSession, project_id: str) -> PublicProject:
    project = await session.get(Project, project_id)
    if project is None or project.status not in stages.PUBLIC:
        raise NotFound(f"No public project {project_id}.")
    return (await public_views(session, [project]))[0]
