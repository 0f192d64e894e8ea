from typing import Annotated

from fastapi import APIRouter, Depends

from services.station_scheduling import logic
from services.station_scheduling.models import tables
from services.station_scheduling.schemas import StationCreate, StationRead, StationTier
from shared.auth import CurrentPrincipal, Role
from shared.idempotency import run_idempotent
from shared.pagination import Page, PageParams, page_params
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("/stations", operation_id="station-list", response_model=Page[StationRead], responses=responses(422))
async def list_stations(session: SessionDep, page: PageDep, tier: StationTier | None = None) -> Page[StationRead]:
    items, total = await logic.list_stations(session, page, tier=tier)
    return Page(items=[StationRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/stations/{station_id}", operation_id="station-get", response_model=StationRead, responses=responses(404, 422)
)
async def get_station(station_id: EntityId, session: SessionDep) -> StationRead:
    return StationRead.model_validate(await logic.get_station(session, station_id))


@router.post(
    "/stations",
    operation_id="station-create",
    status_code=201,
    response_model=StationRead,
    responses=responses(401, 403, 409, 422),
)
async def create_station(
    body: StationCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.npc_office, Role.station_staff)

    async def create() -> StationRead:
        return StationRead.model_validate(await logic.create_station(session, runtime, body))

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:station-create", body=body, create=create
    )
