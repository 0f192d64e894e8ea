"""Station rules: one main station, one station per township, area stations inside a township ("1+4+N")."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import KnownGrid, OpeningWindow, Station, StationGrid
from services.station_scheduling.schemas import OpeningWindowIn, StationCreate, StationTier
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable
from shared.service import ServiceRuntime


async def get_station(db: AsyncSession, station_id: str) -> Station:
    station = await db.get(Station, station_id)
    if station is None:
        raise NotFound("No station {station_id}.", params={"station_id": station_id})
    return station


async def opening_windows(db: AsyncSession, station_id: str) -> list[OpeningWindow]:
    query = select(OpeningWindow).where(OpeningWindow.station_id == station_id).order_by(OpeningWindow.id)
    return list((await db.execute(query)).scalars())


async def _exists(db: AsyncSession, *conditions: ColumnElement[bool]) -> bool:
    return (await db.execute(select(Station.id).where(*conditions).limit(1))).first() is not None


async def _check_shape(db: AsyncSession, data: StationCreate) -> None:
    if data.tier == StationTier.main and data.township_grid_id:
        raise Unprocessable("The main station belongs to no township.")
    if data.tier != StationTier.main and not data.township_grid_id:
        raise Unprocessable("A {tier} station needs its township grid.", params={"tier": data.tier})
    if await _exists(db, Station.code == data.code):
        raise Conflict("A station with code {code} exists.", params={"code": data.code})
    if data.tier == StationTier.main and await _exists(db, Station.tier == StationTier.main):
        raise Conflict("There is already a main station.")
    if data.tier == StationTier.township and await _exists(
        db, Station.tier == StationTier.township, Station.township_grid_id == data.township_grid_id
    ):
        raise Conflict("This township already has its station.")


async def _check_grids(db: AsyncSession, data: StationCreate) -> None:
    """The township and the grids served must be grids this service has heard of (grid.grid.* events)."""
    if data.township_grid_id:
        township = await db.get(KnownGrid, data.township_grid_id)
        if township is None or township.level != "township":
            raise Unprocessable(
                "No township grid {township_grid_id} is known here.", params={"township_grid_id": data.township_grid_id}
            )
    for grid_id in set(data.served_grid_ids):
        if await db.get(KnownGrid, grid_id) is None:
            raise Unprocessable("No grid {grid_id} is known here.", params={"grid_id": grid_id})


async def create_station(
    db: AsyncSession,
    runtime: ServiceRuntime,
    data: StationCreate,
    *,
    station_id: str | None = None,
    is_demo: bool = False,
    by: Principal | None = None,
) -> Station:
    """Check the 1+4+N shape and the grids, then store the station with the grids it serves and its opening
    hours. The demo city is loaded before any grid event flows, from the same reference data: its grids are
    not checked against the projection. `by`: the official who creates it (audited), none for the demo."""
    await _check_shape(db, data)
    if not is_demo:
        await _check_grids(db, data)
    fields = data.model_dump(exclude={"served_grid_ids", "hours"})
    station = Station(id=station_id or str(uuid.uuid4()), is_demo=is_demo, created_at=datetime.now(UTC), **fields)
    db.add(station)
    await db.flush()
    db.add_all([StationGrid(station_id=station.id, grid_id=grid_id) for grid_id in sorted(set(data.served_grid_ids))])
    await _replace_hours(db, station, data.hours)
    if by is not None:
        await audit.record(db, by, "station.station.create", "station", station.id, tier=station.tier)
    return station


async def set_hours(db: AsyncSession, station: Station, windows: list[OpeningWindowIn], *, by: Principal) -> Station:
    """Replace the station's opening hours (sessions at the station must fall inside one window)."""
    await _replace_hours(db, station, windows)
    await audit.record(db, by, "station.station.hours", "station", station.id, windows=len(windows))
    return station


async def _replace_hours(db: AsyncSession, station: Station, windows: list[OpeningWindowIn]) -> None:
    await db.execute(delete(OpeningWindow).where(OpeningWindow.station_id == station.id))
    db.add_all([OpeningWindow(station_id=station.id, **window.model_dump()) for window in windows])
    await db.flush()
