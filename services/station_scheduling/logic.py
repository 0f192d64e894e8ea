"""Station rules: one main station, one station per township, area stations inside a township ("1+4+N")."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import Station
from services.station_scheduling.schemas import StationCreate, StationTier
from shared import demo_city
from shared.pagination import PageParams, paginate
from shared.problems import Conflict, NotFound, Unprocessable
from shared.service import ServiceRuntime

MAIN_STATION = "韶山人大代表联络站"
OFFICE_HOURS = "周一至周五 08:30-17:30"
RECEPTION_DAYS = "每月9日、19日 09:00-12:00"
AREA_VOTERS = 13_000
DEMO_AREAS = [
    ("韶阳片区站", "韶山乡", "韶阳村"),
    ("银田片区站", "银田镇", "银田村"),
    ("火车站片区站", "清溪镇", "韶山火车站社区"),
]


async def get_station(session: AsyncSession, station_id: str) -> Station:
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound(f"No station {station_id}.")
    return station


async def list_stations(
    session: AsyncSession, params: PageParams, *, tier: str | None = None
) -> tuple[list[Station], int]:
    query = select(Station).order_by(Station.code)
    if tier:
        query = query.where(Station.tier == tier)
    return await paginate(session, query, params)


async def _exists(session: AsyncSession, *conditions) -> bool:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Station.id).where(*conditions).limit(1))).first() is not None


async def create_station(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: StationCreate,
    *,
    station_id: str | None = None,
    is_demo: bool = False,
) -> Station:
    """Check the 1+4+N shape; `runtime` will emit station events once the catalogue has them."""
    if data.tier == StationTier.main and data.township_grid_id:
        raise Unprocessable("The main station belongs to no township.")
    if data.tier != StationTier.main and not data.township_grid_id:
        raise Unprocessable(f"A {data.tier} station needs its township grid.")
    if await _exists(session, Station.code == data.code):
        raise Conflict(f"A station with code {data.code} exists.")
    if data.tier == StationTier.main and await _exists(session, Station.tier == StationTier.main):
        raise Conflict("There is already a main station.")
    if data.tier == StationTier.township and await _exists(
        session, Station.tier == StationTier.township, Station.township_grid_id == data.township_grid_id
    ):
        raise Conflict("This township already has its station.")
    station = Station(
        id=station_id or str(uuid.uuid4()), is_demo=is_demo, created_at=datetime.now(UTC), **data.model_dump()
    )
    session.add(station)
    await session.flush()
    return station


def demo_stations() -> list[StationCreate]:
    """The reference city's stations: 1 main, one per township, and area stations of ~13,000 voters."""
    township_ids = {grid.name: grid.id for grid in demo_city.grids() if grid.level == "township"}
    city = "韶山市"
    stations = [
        StationCreate(
            code=f"{demo_city.CITY_CODE}-S00",
            name=MAIN_STATION,
            tier=StationTier.main,
            address=city + demo_city.TOWNSHIPS[0],
            opening_hours=OFFICE_HOURS,
        )
    ]
    stations += [
        StationCreate(
            code=f"{demo_city.CITY_CODE}-S{index:02d}",
            name=f"{township}人大代表联络站",
            tier=StationTier.township,
            township_grid_id=township_ids[township],
            address=city + township,
            opening_hours=OFFICE_HOURS,
        )
        for index, township in enumerate(demo_city.TOWNSHIPS, start=1)
    ]
    stations += [
        StationCreate(
            code=f"{demo_city.CITY_CODE}-A{index:02d}",
            name=name,
            tier=StationTier.area,
            township_grid_id=township_ids[township],
            address=city + township + village,
            voters_served=AREA_VOTERS,
            opening_hours=RECEPTION_DAYS,
        )
        for index, (name, township, village) in enumerate(DEMO_AREAS, start=1)
    ]
    return stations


async def seed_demo_stations(session: AsyncSession, runtime: ServiceRuntime) -> int:
    """Load the reference city's stations once; returns how many were created."""
    if await _exists(session):
        return 0
    stations = demo_stations()
    for item in stations:
        await create_station(
            session, runtime, item, station_id=demo_city.stable_id("station:" + item.code), is_demo=True
        )
    return len(stations)
