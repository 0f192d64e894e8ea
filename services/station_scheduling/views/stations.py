"""Stations as shown: the station with the grids it serves and its opening hours."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import OpeningWindow, Station, StationGrid
from services.station_scheduling.schemas import OpeningWindowIn, StationRead
from shared.pagination import Page, PageParams, paginate


async def _served_grid_ids(db: AsyncSession, station_id: str) -> list[str]:
    query = select(StationGrid.grid_id).where(StationGrid.station_id == station_id).order_by(StationGrid.grid_id)
    return list((await db.execute(query)).scalars())


async def _hours(db: AsyncSession, station_id: str) -> list[OpeningWindowIn]:
    query = select(OpeningWindow).where(OpeningWindow.station_id == station_id).order_by(OpeningWindow.id)
    return [OpeningWindowIn.model_validate(window) for window in (await db.execute(query)).scalars()]


async def station_read(db: AsyncSession, station: Station) -> StationRead:
    return StationRead.model_validate(
        {
            **{column: getattr(station, column) for column in StationRead.model_fields if hasattr(station, column)},
            "served_grid_ids": await _served_grid_ids(db, station.id),
            "hours": await _hours(db, station.id),
        }
    )


async def station_page(db: AsyncSession, params: PageParams, *, tier: str | None = None) -> Page[StationRead]:
    query = select(Station).order_by(Station.code)
    if tier:
        query = query.where(Station.tier == tier)
    items, total = await paginate(db, query, params)
    return Page(items=[await station_read(db, item) for item in items], total=total, **params.model_dump())
