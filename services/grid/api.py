from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.grid import logic
from services.grid.models import tables
from services.grid.schemas import AssignmentCreate, AssignmentRead, GridCreate, GridLevel, GridRead
from shared.auth import CurrentPrincipal, Role
from shared.idempotency import run_idempotent
from shared.pagination import Page, PageParams, page_params
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["grid"])
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("/grids", operation_id="grid-list", response_model=Page[GridRead], responses=responses(422))
async def list_grids(
    session: SessionDep, page: PageDep, level: GridLevel | None = None, parent_id: EntityId | None = None
) -> Page[GridRead]:
    items, total = await logic.list_grids(session, page, level=level, parent_id=parent_id)
    return Page(items=[GridRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get("/grids/{grid_id}", operation_id="grid-get", response_model=GridRead, responses=responses(404, 422))
async def get_grid(grid_id: EntityId, session: SessionDep) -> GridRead:
    return GridRead.model_validate(await logic.get_grid(session, grid_id))


@router.post(
    "/grids",
    operation_id="grid-create",
    status_code=201,
    response_model=GridRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_grid(
    body: GridCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.npc_office)

    async def create() -> GridRead:
        return GridRead.model_validate(await logic.create_grid(session, runtime, body))

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:grid-create", body=body, create=create
    )


@router.get(
    "/assignments", operation_id="assignment-list", response_model=Page[AssignmentRead], responses=responses(422)
)
async def list_assignments(
    session: SessionDep,
    page: PageDep,
    grid_id: Annotated[EntityId | None, Query()] = None,
    deputy_id: Annotated[EntityId | None, Query()] = None,
) -> Page[AssignmentRead]:
    items, total = await logic.list_assignments(session, page, grid_id=grid_id, deputy_id=deputy_id)
    return Page(items=[AssignmentRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/assignments",
    operation_id="assignment-create",
    status_code=201,
    response_model=AssignmentRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_assignment(
    body: AssignmentCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.npc_office)

    async def create() -> AssignmentRead:
        return AssignmentRead.model_validate(await logic.start_assignment(session, runtime, body))

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:assignment-create", body=body, create=create
    )
