"""Deputies placed in grids: list, start, end."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.grid import views
from services.grid.api.roles import OFFICE
from services.grid.logic import assignments
from services.grid.schemas import AssignmentCreate, AssignmentEnd, AssignmentRead
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["grid"])


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
    return await views.list_assignments(session, page, grid_id=grid_id, deputy_id=deputy_id, active=active)


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Place a deputy in a grid; a township's grid head must sit on the chairpersons' council."""
    principal.require(*OFFICE)

    async def create() -> AssignmentRead:
        return AssignmentRead.model_validate(await assignments.start_assignment(session, runtime, body, by=principal))

    return await once(
        key=key, scope=f"{principal.subject}:assignment-create", body=body, create=create, status_code=201
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
    answer = AssignmentRead.model_validate(
        await assignments.end_assignment(session, runtime, assignment_id, body, by=principal)
    )
    await session.commit()
    return answer
