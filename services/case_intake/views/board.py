"""The village board (村务公开): a grid's public cases without personal data, and its rates."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import Case, CaseSupporter
from services.case_intake.schemas import BoardCase, BoardStats
from services.case_intake.views import statistics
from services.case_intake.views.statistics import HIDDEN, subtree
from shared.pagination import PageParams


async def board_cases(session: AsyncSession, grid_id: str, params: PageParams) -> tuple[list[BoardCase], int]:
    names = await subtree(session, grid_id)
    supporters = select(func.count()).select_from(CaseSupporter).where(CaseSupporter.case_id == Case.id)
    query = (
        select(Case, supporters.scalar_subquery().label("supporters"))
        .where(Case.grid_id.in_(names), Case.public, Case.kind != "dispute", Case.status.not_in(HIDDEN))
        .order_by(Case.submitted_at.desc(), Case.id)
    )
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(params.limit).offset(params.offset))).all()
    return [_board_case(case, count, names) for case, count in rows], total


def _board_case(case: Case, supporters: int, names: dict[str, str]) -> BoardCase:
    return BoardCase(
        id=case.id,
        kind=case.kind,
        category=case.category,
        grid_id=case.grid_id,
        grid_name=names[case.grid_id],
        status=case.status,
        submitted_at=case.submitted_at,
        resolved_at=case.resolved_at,
        supporters=supporters,
        resolution=case.resolution,
    )


async def board_stats(session: AsyncSession, grid_id: str, now: datetime) -> BoardStats:
    """The figures of the grid and every grid below it (see statistics), the median in days."""
    names = await subtree(session, grid_id)
    scope = [Case.grid_id.in_(names)]
    counts = await statistics.tally(session, scope, now)
    hours = await statistics.median_hours(session, scope, counts.resolved)
    figures = {key: value for key, value in counts.figures().items() if key in BoardStats.model_fields}
    return BoardStats(
        grid_id=grid_id,
        grid_name=names[grid_id],
        **figures,
        median_days_to_resolve=None if hours is None else round(hours / 24, 1),
    )
