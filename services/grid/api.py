import json
from typing import Annotated

from fastapi import APIRouter, Query

from services.grid import logic
from services.grid.models import tables
from services.grid.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    CoverageReport,
    GridChangeRead,
    GridCreate,
    GridDetail,
    GridLevel,
    GridRead,
    GridRetire,
    GridUpdate,
    ResolvedGrid,
)
from shared.auth import CurrentPrincipal, Role
from shared.messaging.idempotency import run_idempotent
from shared.pagination import Page, PageDep, PageParams
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader, Latitude, Longitude, text

router = APIRouter(tags=["grid"])
SearchText = Annotated[
    text(60, 1) | None,  # type: ignore[valid-type]
    Query(description="Part of the name, its pinyin or its pinyin initials ('xsc' finds 湘韶村)"),
]
OFFICE = (Role.npc_office,)
OFFICE_OR_STAFF = (Role.npc_office, Role.station_staff)


def _page(items: list, total: int, page: PageParams, model: type) -> Page:  # type: ignore[type-arg]
    return Page(items=[model.model_validate(item) for item in items], total=total, **page.model_dump())


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
    found = await logic.list_grids(
        session, page, level=level, parent_id=parent_id, q=q, include_retired=include_retired
    )
    return _page(*found, page, GridRead)


@router.get("/resolve", operation_id="grid-resolve", response_model=ResolvedGrid, responses=responses(404, 422))
async def resolve(
    session: SessionDep,
    runtime: RuntimeDep,
    lat: Annotated[Latitude, Query(description="WGS 84 latitude")],
    lon: Annotated[Longitude, Query(description="WGS 84 longitude")],
) -> ResolvedGrid:
    """The group grid whose boundary holds the point; else the group grid with the nearest centre."""
    grid, located = await logic.resolve_point(session, runtime, lat, lon)
    return ResolvedGrid(grid=GridRead.model_validate(grid), method=located.method, distance_m=located.distance_m)


@router.get("/grids/{grid_id}", operation_id="grid-get", response_model=GridDetail, responses=responses(404, 422))
async def get_grid(grid_id: EntityId, session: SessionDep) -> GridDetail:
    return GridDetail.model_validate(await logic.get_grid(session, grid_id))


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(*OFFICE)

    async def create() -> GridDetail:
        grid = await logic.create_grid(session, runtime, body, actor=principal.subject)
        return GridDetail.model_validate(grid)

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:grid-create", body=body, create=create
    )


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
    grid = await logic.update_grid(session, runtime, grid_id, body, actor=principal.subject)
    answer = GridDetail.model_validate(grid)
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
    grid = await logic.retire_grid(session, runtime, grid_id, body, actor=principal.subject)
    answer = GridDetail.model_validate(grid)
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
    items, total = await logic.history(session, grid_id, page)
    return Page(
        items=[_change(item) for item in items],
        total=total,
        **page.model_dump(),
    )


def _change(item) -> GridChangeRead:  # type: ignore[no-untyped-def]
    return GridChangeRead(
        version=item.version,
        action=item.action,
        changes=json.loads(item.changes),
        reason=item.reason,
        actor=item.actor,
        at=item.at,
    )


@router.get(
    "/assignments", operation_id="assignment-list", response_model=Page[AssignmentRead], responses=responses(422)
)
async def list_assignments(
    session: SessionDep,
    page: PageDep,
    grid_id: Annotated[EntityId | None, Query()] = None,
    deputy_id: Annotated[EntityId | None, Query()] = None,
    active: Annotated[bool | None, Query(description="Only running (true) or only ended (false) ones")] = None,
) -> Page[AssignmentRead]:
    found = await logic.list_assignments(session, page, grid_id=grid_id, deputy_id=deputy_id, active=active)
    return _page(*found, page, AssignmentRead)


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
    """Place a deputy in a grid; a township's grid head must sit on the chairpersons' council."""
    principal.require(*OFFICE)

    async def create() -> AssignmentRead:
        return AssignmentRead.model_validate(await logic.start_assignment(session, runtime, body))

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:assignment-create", body=body, create=create
    )


@router.post(
    "/assignments/{assignment_id}/end",
    operation_id="assignment-end",
    response_model=AssignmentRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def end_assignment(
    assignment_id: EntityId, body: AssignmentEnd, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> AssignmentRead:
    principal.require(*OFFICE)
    answer = AssignmentRead.model_validate(await logic.end_assignment(session, runtime, assignment_id, body))
    await session.commit()
    return answer


@router.get(
    "/coverage", operation_id="grid-coverage", response_model=CoverageReport, responses=responses(401, 403, 422)
)
async def coverage(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    township_id: Annotated[EntityId | None, Query(description="Only the groups of this township")] = None,
) -> CoverageReport:
    """Group grids nobody answers for (全覆盖), each with deputies to suggest: same district first, then nearest."""
    principal.require(*OFFICE_OR_STAFF)
    report = await logic.coverage(session, page, township_id=township_id)
    return CoverageReport.model_validate({**report, **page.model_dump()}, from_attributes=True)
