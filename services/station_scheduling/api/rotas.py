"""Rotas: recurring reception days whose sessions rotate the station's deputies."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.station_scheduling.logic import rotas
from services.station_scheduling.logic.access import MANAGERS
from services.station_scheduling.schemas import RotaCreate, RotaRead
from services.station_scheduling.views.records import rota_page, rota_read
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])


@router.post(
    "/rotas",
    operation_id="rota-create",
    status_code=201,
    response_model=RotaRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_rota(
    body: RotaCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*MANAGERS)

    async def create() -> RotaRead:
        return await rota_read(db, await rotas.create_rota(db, runtime, body, principal))

    scope = f"{principal.subject}:rota-create"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.get("/rotas", operation_id="rota-list", response_model=Page[RotaRead], responses=responses(422))
async def list_rotas(
    db: SessionDep, page: PageDep, station_id: Annotated[EntityId | None, Query()] = None
) -> Page[RotaRead]:
    return await rota_page(db, page, station_id=station_id)


@router.get("/rotas/{rota_id}", operation_id="rota-get", response_model=RotaRead, responses=responses(404, 422))
async def get_rota(rota_id: EntityId, db: SessionDep) -> RotaRead:
    return await rota_read(db, await rotas.get_rota(db, rota_id))
