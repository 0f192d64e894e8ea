"""The village board (村务公开): a grid's public cases without personal data, and its rates."""

import statistics
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import Case, CaseSupporter, KnownGrid
from services.case_intake.schemas import BoardCase, BoardStats
from shared.pagination import PageParams
from shared.problems import NotFound

HIDDEN = ("withdrawn", "merged", "rejected")
DONE = ("resolved", "closed")
SATISFIED = ("satisfied", "basically_satisfied")


async def subtree(session: AsyncSession, grid_id: str) -> dict[str, str]:
    """The grid and every grid below it: id -> name."""
    root = await session.get(KnownGrid, grid_id)
    if root is None:
        raise NotFound(f"No grid {grid_id}.")
    names, frontier = {root.id: root.name}, {root.id}
    while frontier:
        rows = (
            await session.execute(select(KnownGrid.id, KnownGrid.name).where(KnownGrid.parent_id.in_(frontier)))
        ).all()
        frontier = {row.id for row in rows} - names.keys()
        names.update({row.id: row.name for row in rows})
    return names


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
    names = await subtree(session, grid_id)
    query = select(
        Case.status, Case.accept_due_at, Case.accepted_at, Case.submitted_at, Case.resolved_at, Case.rating
    ).where(Case.grid_id.in_(names))
    rows = (await session.execute(query)).all()
    return BoardStats(grid_id=grid_id, grid_name=names[grid_id], **rates(rows, now))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def rates(rows: Iterable, now: datetime) -> dict:
    """Response, resolution and satisfaction rates and the median days to resolve (withdrawn, merged and
    rejected cases are not counted; the response rate counts those accepted or past their accept deadline)."""
    rows = list(rows)
    counted = [row for row in rows if row.status not in HIDDEN]
    due = [row for row in counted if row.accepted_at is not None or row.accept_due_at <= now]
    on_time = [row for row in due if row.accepted_at is not None and row.accepted_at <= row.accept_due_at]
    done = [row for row in counted if row.status in DONE and row.resolved_at is not None]
    rated = [row for row in counted if row.rating is not None]
    spans = [(row.resolved_at - row.submitted_at).total_seconds() / 86_400 for row in done]
    return {
        "cases": len(counted),
        "open": len(counted) - len(done),
        "resolved": len(done),
        "rejected": sum(1 for row in rows if row.status == "rejected"),
        "response_rate": _share(len(on_time), len(due)),
        "resolution_rate": _share(len(done), len(counted)),
        "satisfaction_rate": _share(sum(1 for row in rated if row.rating in SATISFIED), len(rated)),
        "median_days_to_resolve": round(statistics.median(spans), 1) if spans else None,
    }
