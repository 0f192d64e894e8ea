"""Objections during the public notice: raised by anyone (signed in or not), ruled on by the NPC office."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.micro_funding import views
from services.micro_funding.logic import objections, projects
from services.micro_funding.schemas import ObjectionCreate, ObjectionRead, ObjectionRuling
from shared.auth import CurrentPrincipal, OptionalPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)


@router.post(
    "/projects/{project_id}/objections",
    operation_id="objection-create",
    status_code=201,
    response_model=ObjectionRead,
    responses=responses(401, 404, 409, 422),
    summary="Object during the public notice (signed in or not)",
)
async def create_objection(
    project_id: EntityId,
    body: ObjectionCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def make() -> ObjectionRead:
        objection = await objections.raise_objection(session, runtime, principal, project_id, body)
        return ObjectionRead.model_validate(objection)

    scope = f"{principal.subject if principal else 'anonymous'}:{project_id}:objection-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


@router.get(
    "/projects/{project_id}/objections",
    operation_id="objection-list",
    response_model=Page[ObjectionRead],
    responses=responses(401, 403, 404, 422),
)
async def list_objections(
    project_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[ObjectionRead]:
    await projects.readable_project(session, principal, project_id)
    items, total = await views.list_objections(session, project_id, page)
    return views.page_of(ObjectionRead, items, total, page)


@router.post(
    "/projects/{project_id}/objections/{objection_id}/ruling",
    operation_id="objection-rule",
    response_model=ObjectionRead,
    responses=ACTION,
    summary="The NPC office upholds (back to draft) or dismisses an objection",
)
async def rule_objection(
    project_id: EntityId,
    objection_id: EntityId,
    body: ObjectionRuling,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def make() -> ObjectionRead:
        objection = await objections.rule_objection(session, runtime, principal, project_id, objection_id, body)
        return ObjectionRead.model_validate(objection)

    scope = f"{principal.subject}:{objection_id}:objection-rule"
    return await once(key=key, scope=scope, body=body, create=make, status_code=200)
