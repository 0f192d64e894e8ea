"""What this service knows of deputies, grids and assignments, fed by their events; and who a station's deputies are."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import KnownAssignment, KnownDeputy, KnownGrid, Station, StationGrid
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    GridChanged,
    GridCreated,
    GridRetired,
)
from shared.service import ServiceRuntime

MAX_DEPTH = 8


async def on_deputy_registered(db: AsyncSession, _: ServiceRuntime, payload: DeputyRegistered) -> None:
    deputy = await db.get(KnownDeputy, payload.deputy_id)
    if deputy is not None and deputy.version > 0:
        return  # a newer profile (deputy.deputy.updated) got here first
    deputy = deputy or KnownDeputy(id=payload.deputy_id, status="active", version=0)
    deputy.code, deputy.name, deputy.level = payload.code, payload.name, payload.level
    db.add(deputy)


async def on_deputy_updated(db: AsyncSession, _: ServiceRuntime, payload: DeputyUpdated) -> None:
    deputy = await db.get(KnownDeputy, payload.deputy_id)
    if deputy is not None and deputy.version >= payload.version:
        return  # stale
    deputy = deputy or KnownDeputy(id=payload.deputy_id)
    deputy.code, deputy.name, deputy.level = payload.code, payload.name, payload.level
    deputy.status, deputy.version = payload.status, payload.version
    db.add(deputy)


async def on_deputy_retired(db: AsyncSession, _: ServiceRuntime, payload: DeputyRetired) -> None:
    deputy = await db.get(KnownDeputy, payload.deputy_id)
    deputy = deputy or KnownDeputy(id=payload.deputy_id, code=payload.code, name=payload.code, level="", version=0)
    deputy.status, deputy.version = "retired", max(deputy.version, payload.version)
    db.add(deputy)


async def on_grid_created(db: AsyncSession, _: ServiceRuntime, payload: GridCreated) -> None:
    if await db.get(KnownGrid, payload.grid_id) is None:
        db.add(
            KnownGrid(
                id=payload.grid_id,
                code=payload.code,
                name=payload.name,
                level=payload.level,
                parent_id=payload.parent_id,
                status="active",
                version=0,
            )
        )


async def on_grid_changed(db: AsyncSession, _: ServiceRuntime, payload: GridChanged) -> None:
    grid = await db.get(KnownGrid, payload.grid_id)
    if grid is not None and grid.version >= payload.version:
        return
    grid = grid or KnownGrid(id=payload.grid_id, status="active")
    grid.code, grid.name, grid.level, grid.parent_id = payload.code, payload.name, payload.level, payload.parent_id
    grid.version = payload.version
    db.add(grid)


async def on_grid_retired(db: AsyncSession, _: ServiceRuntime, payload: GridRetired) -> None:
    grid = await db.get(KnownGrid, payload.grid_id)
    if grid is not None:
        grid.status, grid.version = "retired", max(grid.version, payload.version)


async def on_assignment_started(db: AsyncSession, _: ServiceRuntime, payload: AssignmentStarted) -> None:
    if await db.get(KnownAssignment, payload.assignment_id) is None:
        db.add(
            KnownAssignment(id=payload.assignment_id, grid_id=payload.grid_id, deputy_id=payload.deputy_id, active=True)
        )


async def on_assignment_ended(db: AsyncSession, _: ServiceRuntime, payload: AssignmentEnded) -> None:
    assignment = await db.get(KnownAssignment, payload.assignment_id)
    assignment = assignment or KnownAssignment(
        id=payload.assignment_id, grid_id=payload.grid_id, deputy_id=payload.deputy_id
    )
    assignment.active = False
    db.add(assignment)


# --- a station's deputies ----------------------------------------------------------------------------------


async def station_roots(db: AsyncSession, station: Station) -> set[str] | None:
    """The grids a station serves (their descendants too); None for the main station, which serves the city."""
    explicit = set(
        (await db.execute(select(StationGrid.grid_id).where(StationGrid.station_id == station.id))).scalars()
    )
    if explicit:
        return explicit
    return {station.township_grid_id} if station.township_grid_id else None


def within(grid_id: str, roots: set[str], parents: dict[str, str | None]) -> bool:
    """Whether a grid is one of `roots` or lies under one of them."""
    current: str | None = grid_id
    for _ in range(MAX_DEPTH):
        if current is None:
            return False
        if current in roots:
            return True
        current = parents.get(current)
    return False


async def linked_deputies(db: AsyncSession, station: Station) -> set[str]:
    """Deputies with an active assignment on a grid the station serves."""
    assignments = (await db.execute(select(KnownAssignment).where(KnownAssignment.active))).scalars().all()
    roots = await station_roots(db, station)
    if roots is None:
        return {assignment.deputy_id for assignment in assignments}
    parents = dict((await db.execute(select(KnownGrid.id, KnownGrid.parent_id))).all())
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
