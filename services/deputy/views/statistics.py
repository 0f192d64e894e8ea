"""The reference figures for a date range, for the city, a township or a village, broken down one level lower.

Facts are counted per grid from the facts' covering index, then rolled up to the breakdown's places through
the projected tree (each grid knows its township and village)."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain import statistics as figures
from services.deputy.domain.periods import day_range
from services.deputy.models import DutyFact, KnownGrid, SupportPair
from services.deputy.schemas import Statistics
from shared.errors import NotFound, Unprocessable


async def _scope(session: AsyncSession, grid_id: str | None) -> tuple[str, Any, Any]:
    """(level, the column rows are broken down by, the filter of the place) for the city or a grid."""
    if grid_id is None:
        return "city", KnownGrid.township_id, None
    grid = await session.get(KnownGrid, grid_id)
    if grid is None:
        raise NotFound("No grid {grid_id} is known here.", params={"grid_id": grid_id})
    if grid.level == "township":
        return "township", KnownGrid.village_id, KnownGrid.township_id == grid.id
    if grid.level == "village":
        return "village", KnownGrid.id, KnownGrid.village_id == grid.id
    raise Unprocessable("Statistics are kept for the city, a township or a village.")


async def _fact_counts(session: AsyncSession, start: datetime, end: datetime, key: Any, place: Any) -> list[Any]:
    """(breakdown key, metric, facts, quantity): counted per grid from the facts' index, then rolled up."""
    per_grid = (
        select(
            DutyFact.grid_id,
            DutyFact.metric,
            func.count().label("facts"),
            func.sum(DutyFact.quantity).label("quantity"),
        )
        .where(DutyFact.occurred_at >= start, DutyFact.occurred_at < end)
        .group_by(DutyFact.grid_id, DutyFact.metric)
        .subquery()
    )
    query = (
        select(key.label("key"), per_grid.c.metric, func.sum(per_grid.c.facts), func.sum(per_grid.c.quantity))
        .select_from(per_grid)
        .outerjoin(KnownGrid, KnownGrid.id == per_grid.c.grid_id)
        .group_by(key, per_grid.c.metric)
    )
    if place is not None:
        query = query.where(place)
    return list((await session.execute(query)).all())


async def _households(session: AsyncSession, first: date, last: date, key: Any, place: Any) -> list[Any]:
    """(breakdown key, households) supported at some time in the range."""
    query = (
        select(key.label("key"), func.count(func.distinct(SupportPair.id)))
        .select_from(SupportPair)
        .outerjoin(KnownGrid, KnownGrid.id == SupportPair.grid_id)
        .where(SupportPair.starts_on <= last, or_(SupportPair.ends_on.is_(None), SupportPair.ends_on >= first))
        .group_by(key)
    )
    if place is not None:
        query = query.where(place)
    return list((await session.execute(query)).all())


async def _grids(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, KnownGrid]:
    wanted = [grid_id for grid_id in ids if grid_id]
    rows = (await session.execute(select(KnownGrid).where(KnownGrid.id.in_(wanted)))).scalars() if wanted else []
    return {row.id: row for row in rows}


async def figures_per_grid(session: AsyncSession, first: date, last: date) -> dict[str | None, figures.Figures]:
    """The figures of every grid that has any in the range (None: facts whose grid is not known here)."""
    start, end = day_range(first, last)
    return figures.tally(
        await _fact_counts(session, start, end, KnownGrid.id, None),
        await _households(session, first, last, KnownGrid.id, None),
    )


async def statistics(session: AsyncSession, first: date, last: date, *, grid_id: str | None = None) -> Statistics:
    """The reference figures for a date range, for the city, a township or a village, broken down one level lower."""
    if last < first:
        raise Unprocessable("The range ends before it starts.")
    level, key, place = await _scope(session, grid_id)
    start, end = day_range(first, last)
    rows = figures.tally(
        await _fact_counts(session, start, end, key, place), await _households(session, first, last, key, place)
    )
    grids = await _grids(session, [*rows, grid_id])
    place_name = grids[grid_id].name if grid_id else None
    ordered = sorted(rows.items(), key=lambda item: (item[0] is None, grids[item[0]].code if item[0] in grids else ""))
    return Statistics.model_validate(
        {
            "date_from": first,
            "date_to": last,
            "level": level,
            "total": figures.shaped(grid_id, place_name, figures.total(rows)),
            "rows": [figures.shaped(key_, grids[key_].name if key_ in grids else None, row) for key_, row in ordered],
        }
    )
