"""Who a station's deputies are: those with an active assignment on a grid it serves (or under one), read from
this service's projections of deputies, grids and assignments."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.rotation import within
from services.station_scheduling.models import KnownAssignment, KnownDeputy, KnownGrid, Station, StationGrid
from shared.errors import NotFound


async def get_deputy(db: AsyncSession, deputy_id: str) -> KnownDeputy:
    deputy = await db.get(KnownDeputy, deputy_id)
    if deputy is None:
        raise NotFound("No deputy {deputy_id}.", params={"deputy_id": deputy_id})
    return deputy


async def station_roots(db: AsyncSession, station: Station) -> set[str] | None:
    """The grids a station serves (their descendants too); None for the main station, which serves the city."""
    explicit = set(
        (await db.execute(select(StationGrid.grid_id).where(StationGrid.station_id == station.id))).scalars()
    )
    if explicit:
        return explicit
    return {station.township_grid_id} if station.township_grid_id else None


async def linked_deputies(db: AsyncSession, station: Station) -> set[str]:
    """Deputies with an active assignment on a grid the station serves."""
    assignments = (await db.execute(select(KnownAssignment).where(KnownAssignment.active))).scalars().all()
    roots = await station_roots(db, station)
    if roots is None:
        return {assignment.deputy_id for assignment in assignments}
    parents: dict[str, str | None] = {
        grid_id: parent_id for grid_id, parent_id in await db.execute(select(KnownGrid.id, KnownGrid.parent_id))
    }
    return {assignment.deputy_id for assignment in assignments if within(assignment.grid_id, roots, parents)}


async def station_pool(db: AsyncSession, station: Station) -> list[str]:
    """The active deputies of the station's grids in code order: the default rotation of a rota."""
    linked = await linked_deputies(db, station)
    query = (
        select(KnownDeputy.id)
        .where(KnownDeputy.id.in_(linked), KnownDeputy.status == "active")
        .order_by(KnownDeputy.code, KnownDeputy.id)
    )
    return list((await db.execute(query)).scalars()) if linked else []
