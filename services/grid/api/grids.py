"""The tree: list and search grids, point → group grid, one grid, create, change, retire, history."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.grid import views
from services.grid.api.roles import OFFICE, OFFICE_OR_STAFF
from services.grid.logic import grids, locate, tree
from services.grid.schemas import (
    GridChangeRead,
    GridCreate,
    GridDetail,
    GridLevel,
    GridRead,
    GridRetire,
    GridUpdate,
    ResolvedGrid,
)
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader, Latitude, Longitude, text

router = APIRouter(tags=["grid"])
SearchText = Annotated[
    text(60, 1) | None,  # type: ignore[valid-type]
    Query(description="Part of the name, its pinyin or its pinyin initials ('xsc' finds 湘韶村)"),
]


@router.get("/grids", operation_id="grid-list", response_model=Page[GridRead], responses=responses(422))
async def list_grids(
    session: SessionDep,
    page: PageDep,
    level: GridLevel | None = None,
    parent_id: EntityId | None = None,
    q: SearchText = None,
    include_retired: bool = False,
) -> Page[GridRead]:
    """Active grids (retired ones too on request), by level, parent, or a search in name, pinyin and initials."""
    return await views.list_grids(session, page, level=level, parent_id=parent_id, q=q, include_retired=include_retired)


@router.get("/resolve", operation_id="grid-resolve", response_model=ResolvedGrid, responses=responses(404, 422))
async def resolve(
    session: SessionDep,
    runtime: RuntimeDep,
    lat: Annotated[Latitude, Query(description="WGS 84 latitude")],
    lon: Annotated[Longitude, Query(description="WGS 84 longitude")],
) -> ResolvedGrid:
    """The group grid whose boundary holds the point; else the group grid with the nearest centre."""
    return views.resolved(*await locate.resolve_point(session, runtime, lat, lon))


@router.get("/grids/{grid_id}", operation_id="grid-get", response_model=GridDetail, responses=responses(404, 422))
async def get_grid(grid_id: EntityId, session: SessionDep) -> GridDetail:
    return GridDetail.model_validate(await grids.get_grid(session, grid_id))


@router.post(
    "/grids",
    operation_id="grid-create",
    status_code=201,
    response_model=GridDetail,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_grid(
    body: GridCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*OFFICE)

    async def create() -> GridDetail:
        return GridDetail.model_validate(await tree.create_grid(session, runtime, body, by=principal))

    return await once(key=key, scope=f"{principal.subject}:grid-create", body=body, create=create, status_code=201)


@router.patch(
    "/grids/{grid_id}",
    operation_id="grid-update",
    response_model=GridDetail,
    responses=responses(401, 403, 404, 409, 422),
)
async def update_grid(
    grid_id: EntityId, body: GridUpdate, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> GridDetail:
    """Rename, move to another parent, or change figures, district, boundary or centre; kept in the history."""
    principal.require(*OFFICE)
    answer = GridDetail.model_validate(await tree.update_grid(session, runtime, grid_id, body, by=principal))
    await session.commit()
    return answer


@router.post(
    "/grids/{grid_id}/retire",
    operation_id="grid-retire",
    response_model=GridDetail,
    responses=responses(401, 403, 404, 409, 422),
)
async def retire_grid(
    grid_id: EntityId, body: GridRetire, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> GridDetail:
    """Retire a grid that has no open cases and no active children; its assignments end."""
    principal.require(*OFFICE)
    answer = GridDetail.model_validate(await tree.retire_grid(session, runtime, grid_id, body, by=principal))
    await session.commit()
    return answer


@router.get(
    "/grids/{grid_id}/history",
    operation_id="grid-history",
    response_model=Page[GridChangeRead],
    responses=responses(401, 403, 404, 422),
)
async def grid_history(
    grid_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[GridChangeRead]:
    principal.require(*OFFICE_OR_STAFF)
    await grids.get_grid(session, grid_id)
    return await views.history(session, grid_id, page)
