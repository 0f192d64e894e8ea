"""Stations: the 1+4+N list, creation, opening hours and reception statistics."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.station_scheduling.logic import stations
from services.station_scheduling.logic.access import MANAGERS
from services.station_scheduling.schemas import OpeningHours, StationCreate, StationRead, StationStatistics, StationTier
from services.station_scheduling.views import statistics
from services.station_scheduling.views.stations import station_page, station_read
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import CivilDate, EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])


@router.get("/stations", operation_id="station-list", response_model=Page[StationRead], responses=responses(422))
async def list_stations(db: SessionDep, page: PageDep, tier: StationTier | None = None) -> Page[StationRead]:
    return await station_page(db, page, tier=tier)


@router.get(
    "/stations/{station_id}", operation_id="station-get", response_model=StationRead, responses=responses(404, 422)
)
async def get_station(station_id: EntityId, db: SessionDep) -> StationRead:
    return await station_read(db, await stations.get_station(db, station_id))


@router.post(
    "/stations",
    operation_id="station-create",
    status_code=201,
    response_model=StationRead,
    responses=responses(401, 403, 409, 422),
)
async def create_station(
    body: StationCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*MANAGERS)

    async def create() -> StationRead:
        return await station_read(db, await stations.create_station(db, runtime, body, by=principal))

    scope = f"{principal.subject}:station-create"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.put(
    "/stations/{station_id}/hours",
    operation_id="station-set-hours",
    response_model=StationRead,
    responses=responses(401, 403, 404, 422),
)
async def set_hours(
    station_id: EntityId, body: OpeningHours, db: SessionDep, principal: CurrentPrincipal
) -> StationRead:
    principal.require(*MANAGERS)
    station = await stations.set_hours(db, await stations.get_station(db, station_id), body.windows, by=principal)
    answer = await station_read(db, station)
    await db.commit()
    return answer


@router.get(
    "/stations/{station_id}/statistics",
    operation_id="station-statistics",
    response_model=StationStatistics,
    responses=responses(404, 422),
)
async def station_statistics(
    station_id: EntityId, db: SessionDep, date_from: CivilDate, date_to: CivilDate
) -> StationStatistics:
    station = await stations.get_station(db, station_id)
    return await statistics.station_statistics(db, station, date_from, date_to)


@router.get(
    "/statistics",
    operation_id="station-statistics-list",
    response_model=Page[StationStatistics],
    responses=responses(422),
)
async def all_statistics(
    db: SessionDep, page: PageDep, date_from: CivilDate, date_to: CivilDate
) -> Page[StationStatistics]:
    return await statistics.all_statistics(db, page, date_from, date_to)
