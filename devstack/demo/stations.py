"""The reference city's stations as demo data: 1 main, one per township, and area stations of ~13,000 voters."""

from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.demo import city as demo_city
from services.station_scheduling.logic.stations import create_station
from services.station_scheduling.models import Station
from services.station_scheduling.schemas import OpeningWindowIn, StationCreate, StationTier
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
WEEKDAYS = [OpeningWindowIn(weekday=day, opens=time(8, 30), closes=time(17, 30)) for day in range(1, 6)]
RECEPTION = [OpeningWindowIn(month_day=day, opens=time(9), closes=time(12)) for day in (9, 19)]


def demo_stations() -> list[StationCreate]:
    """The reference city's stations: 1 main, one per township, and area stations of ~13,000 voters."""
    grids = demo_city.grids()
    township_ids = {grid.name: grid.id for grid in grids if grid.level == "township"}
    village_ids = {grid.name: grid.id for grid in grids if grid.level == "village"}
    city = "韶山市"
    common = {"opening_hours": OFFICE_HOURS, "hours": WEEKDAYS}
    stations = [
        StationCreate(
            code=f"{demo_city.CITY_CODE}-S00",
            name=MAIN_STATION,
            tier=StationTier.main,
            address=city + demo_city.TOWNSHIPS[0],
            **common,
        )
    ]
    stations += [
        StationCreate(
            code=f"{demo_city.CITY_CODE}-S{index:02d}",
            name=f"{township}人大代表联络站",
            tier=StationTier.township,
            township_grid_id=township_ids[township],
            address=city + township,
            **common,
        )
        for index, township in enumerate(demo_city.TOWNSHIPS, start=1)
    ]
    stations += [
        StationCreate(
            code=f"{demo_city.CITY_CODE}-A{index:02d}",
            name=name,
            tier=StationTier.area,
            township_grid_id=township_ids[township],
            served_grid_ids=[village_ids[village]],
            address=city + township + village,
            voters_served=AREA_VOTERS,
            opening_hours=RECEPTION_DAYS,
            hours=RECEPTION,
        )
        for index, (name, township, village) in enumerate(DEMO_AREAS, start=1)
    ]
    return stations


async def seed(db: AsyncSession, runtime: ServiceRuntime) -> int:
    """Load the reference city's stations once; returns how many were created."""
    if (await db.execute(select(Station.id).limit(1))).first() is not None:
        return 0
    stations = demo_stations()
    for item in stations:
        await create_station(db, runtime, item, station_id=demo_city.stable_id("station:" + item.code), is_demo=True)
    return len(stations)
