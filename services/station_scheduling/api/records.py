"""Reception records (当面提、当面议、当面答): written by station staff, read by them and the deputies on duty."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.station_scheduling.logic import records
from services.station_scheduling.logic.access import MANAGERS, may_read_record
from services.station_scheduling.schemas import Outcome, RecordCreate, RecordRead
from services.station_scheduling.views.records import record_page, record_read
from shared.auth import CurrentPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])


@router.post(
    "/sessions/{session_id}/records",
    operation_id="record-create",
    status_code=201,
    response_model=RecordRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_record(
    session_id: EntityId,
    body: RecordCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*MANAGERS)

    async def create() -> RecordRead:
        return record_read(await records.create_record(db, runtime, session_id, body, principal))

    scope = f"{principal.subject}:record:{session_id}"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.get("/records", operation_id="record-list", response_model=Page[RecordRead], responses=responses(401, 403, 422))
async def list_records(
    db: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    session_id: Annotated[EntityId | None, Query()] = None,
    station_id: Annotated[EntityId | None, Query()] = None,
    outcome: Outcome | None = None,
) -> Page[RecordRead]:
    duty_of = None
    if not principal.has(*MANAGERS):
        principal.require(Role.deputy)
        duty_of = principal.deputy_id or ""
    filters = {"session_id": session_id, "station_id": station_id, "outcome": outcome, "duty_of": duty_of}
    return await record_page(db, page, **filters)


@router.get(
    "/records/{record_id}",
    operation_id="record-get",
    response_model=RecordRead,
    responses=responses(401, 403, 404, 422),
)
async def get_record(record_id: EntityId, db: SessionDep, principal: CurrentPrincipal) -> RecordRead:
    record = await records.get_record(db, record_id)
    await may_read_record(db, principal, record)
    return record_read(record)
