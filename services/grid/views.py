"""Read models: lists of grids and assignments, a grid's history, the answer of point → grid, and the coverage
report (全覆盖) with the deputies to suggest for each uncovered group. Queries here only read."""

import json
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.grid.domain import geo, names
from services.grid.domain.coverage import Candidate, CandidatePool, Ranked, effective_centre, effective_district
from services.grid.domain.tree import LEVEL_ORDER
from services.grid.models import Assignment, Grid, GridChange, KnownDeputy
from services.grid.schemas import AssignmentRead, CoverageReport, GridChangeRead, GridRead, ResolvedGrid
from shared.pagination import Page, PageParams, paginate

M = TypeVar("M", bound=BaseModel)


def _page(items: list[M], total: int, params: PageParams) -> Page[M]:
    return Page(items=items, total=total, **params.model_dump())


# --- grids ----------------------------------------------------------------------------------------------


def _search(query: Select[tuple[Grid]], text: str) -> Select[tuple[Grid]]:
    """Name contains the text, or its pinyin or initials contain the typed letters ('xsc' finds 湘韶村)."""
    conditions = [Grid.name.contains(text, autoescape=True)]
    if key := names.query_key(text):
        conditions += [
            Grid.name_pinyin.contains(key, autoescape=True),
            Grid.name_initials.contains(key, autoescape=True),
        ]
    level_rank = case(*[(Grid.level == level, rank) for level, rank in LEVEL_ORDER.items()], else_=3)
    return query.where(or_(*conditions)).order_by(None).order_by(level_rank, Grid.code)


async def list_grids(
    session: AsyncSession,
    params: PageParams,
    *,
    level: str | None = None,
    parent_id: str | None = None,
    q: str | None = None,
    include_retired: bool = False,
) -> Page[GridRead]:
    query = select(Grid).order_by(Grid.code)
    if level:
        query = query.where(Grid.level == level)
    if parent_id:
        query = query.where(Grid.parent_id == parent_id)
    if not include_retired:
        query = query.where(Grid.status == "active")
    if q:
        query = _search(query, q)
    grids, total = await paginate(session, query, params)
    return _page([GridRead.model_validate(grid) for grid in grids], total, params)


def resolved(grid: Grid, located: geo.Located) -> ResolvedGrid:
    return ResolvedGrid(grid=GridRead.model_validate(grid), method=located.method, distance_m=located.distance_m)


def _change(item: GridChange) -> GridChangeRead:
    return GridChangeRead(
        version=item.version,
        action=item.action,
        changes=json.loads(item.changes),
        reason=item.reason,
        actor=item.actor,
        at=item.at,
    )


async def history(session: AsyncSession, grid_id: str, params: PageParams) -> Page[GridChangeRead]:
    """A grid's history, oldest first (the caller has checked the grid exists)."""
    query = select(GridChange).where(GridChange.grid_id == grid_id).order_by(GridChange.version, GridChange.at)
    items, total = await paginate(session, query, params)
    return _page([_change(item) for item in items], total, params)


# --- assignments ----------------------------------------------------------------------------------------


async def list_assignments(
    session: AsyncSession,
    params: PageParams,
    *,
    grid_id: str | None = None,
    deputy_id: str | None = None,
    active: bool | None = None,
) -> Page[AssignmentRead]:
    query = select(Assignment).order_by(Assignment.created_at, Assignment.id)
    if grid_id:
        query = query.where(Assignment.grid_id == grid_id)
    if deputy_id:
        query = query.where(Assignment.deputy_id == deputy_id)
    if active is not None:
        query = query.where(Assignment.ends_on.is_(None) if active else Assignment.ends_on.is_not(None))
    items, total = await paginate(session, query, params)
    return _page([AssignmentRead.model_validate(item) for item in items], total, params)


# --- coverage (全覆盖) -----------------------------------------------------------------------------------


def _covered() -> Select[tuple[str]]:
    return select(Assignment.grid_id).where(Assignment.ends_on.is_(None))


def _uncovered_groups(township_id: str | None) -> Select[tuple[Grid]]:
    query = (
        select(Grid)
        .where(Grid.level == "group", Grid.status == "active", Grid.id.not_in(_covered()))
        .order_by(Grid.code)
    )
    if township_id:
        village = aliased(Grid)
        query = query.join(village, village.id == Grid.parent_id).where(village.parent_id == township_id)
    return query


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()


async def _townships_without_head(session: AsyncSession) -> list[Grid]:
    heads = select(Assignment.grid_id).where(Assignment.ends_on.is_(None), Assignment.role == "grid_head")
    query = select(Grid).where(Grid.level == "township", Grid.status == "active", Grid.id.not_in(heads))
    return list((await session.execute(query.order_by(Grid.code))).scalars())


async def _candidate_pool(session: AsyncSession) -> CandidatePool:
    load = (
        select(Assignment.deputy_id, func.count().label("load"))
        .where(Assignment.ends_on.is_(None))
        .group_by(Assignment.deputy_id)
        .subquery()
    )
    query = (
        select(KnownDeputy, Grid.centre_lat, Grid.centre_lon, load.c.load)
        .outerjoin(Grid, Grid.id == KnownDeputy.home_grid_id)
        .outerjoin(load, load.c.deputy_id == KnownDeputy.id)
        .where(KnownDeputy.status == "active")
    )
    return CandidatePool(
        [
            Candidate(d.id, d.code, d.name, d.district, (lat, lon) if lat is not None else None, load or 0)
            for d, lat, lon, load in (await session.execute(query)).all()
        ]
    )


async def _ancestors(session: AsyncSession, grids: list[Grid]) -> dict[str, Grid]:
    known: dict[str, Grid] = {}
    wanted = {grid.parent_id for grid in grids if grid.parent_id}
    while wanted:
        rows = (await session.execute(select(Grid).where(Grid.id.in_(wanted)))).scalars().all()
        known.update({row.id: row for row in rows})
        wanted = {row.parent_id for row in rows if row.parent_id and row.parent_id not in known}
    return known


def _suggestion(ranked: Ranked) -> dict[str, Any]:
    deputy = ranked.candidate
    return {
        "deputy_id": deputy.deputy_id,
        "code": deputy.code,
        "name": deputy.name,
        "district": deputy.district,
        "reason": ranked.reason,
        "distance_m": ranked.distance_m,
        "active_assignments": deputy.load,
    }


async def coverage(
    session: AsyncSession, params: PageParams, *, township_id: str | None = None, suggestions: int = 3
) -> CoverageReport:
    """Uncovered group grids, each with deputies to suggest, and the figures of the whole city."""
    groups = select(Grid.id).where(Grid.level == "group", Grid.status == "active")
    grids, total = await paginate(session, _uncovered_groups(township_id), params)
    ancestors = await _ancestors(session, grids)
    pool = await _candidate_pool(session) if grids else CandidatePool([])
    items = []
    for grid in grids:
        district = effective_district(grid, ancestors)
        ranked = pool.rank(district, effective_centre(grid, ancestors), suggestions)
        items.append({"grid": grid, "district": district, "suggestions": [_suggestion(item) for item in ranked]})
    report = {
        "items": items,
        "total": total,
        "groups_total": await _count(session, groups),
        "groups_covered": await _count(session, groups.where(Grid.id.in_(_covered()))),
        "townships_without_head": await _townships_without_head(session),
    }
    return CoverageReport.model_validate({**report, **params.model_dump()}, from_attributes=True)
