"""Objections during the public notice: raised by villagers signed in with their phone number (under a real
name; the objector is never shown), limited per account and client address; ruled on by the NPC office, one at
a time or many at once."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.micro_funding import views
from services.micro_funding.logic import objections, projects
from services.micro_funding.policy import ObjectionLimits
from services.micro_funding.schemas import (
    ObjectionCreate,
    ObjectionRead,
    ObjectionRuling,
    ObjectionRulings,
    ObjectionRulingsRead,
)
from shared import logs
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)


def client_address(request: Request) -> str:
    """The caller's address, by the one rule of every service (shared.service.client_address: X-Forwarded-For
    only from TRUSTED_PROXIES, i.e. the gateway, which sends its client's address there)."""
    return logs.client_var.get() or "unknown"


def objection_limits(request: Request) -> ObjectionLimits:
    return request.app.state.objection_limits


@router.post(
    "/projects/{project_id}/objections",
    operation_id="objection-create",
    status_code=201,
    response_model=ObjectionRead,
    responses=responses(401, 403, 404, 409, 422, 429),
    summary="A villager signed in with their phone number objects during the public notice",
)
async def create_objection(
    project_id: EntityId,
    body: ObjectionCreate,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    limits: Annotated[ObjectionLimits, Depends(objection_limits)],
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Objections are made under a real name (公示): a villager's account; one pending objection per account and
    project, a few a day per account and a few dozen an hour per client address (429 with Retry-After)."""
    address = client_address(request)

    async def make() -> ObjectionRead:
        objection = await objections.raise_objection(
            session, runtime, principal, project_id, body, address=address, limits=limits
        )
        return ObjectionRead.model_validate(objection)

    scope = f"{principal.subject}:{project_id}:objection-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


@router.get(
    "/projects/{project_id}/objections",
    operation_id="objection-list",
    response_model=Page[ObjectionRead],
    responses=responses(401, 403, 404, 422),
    summary="The objections to a project: the NPC office, station staff and the proposing deputy",
)
async def list_objections(
    project_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[ObjectionRead]:
    project = await projects.readable_project(session, principal, project_id)
    projects.authorise_objection_read(principal, project)
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


@router.post(
    "/projects/{project_id}/objection-rulings",
    operation_id="objection-rule-many",
    response_model=ObjectionRulingsRead,
    responses=ACTION,
    summary="The NPC office rules on several objections to a project at once, with one note",
)
async def rule_objections(
    project_id: EntityId,
    body: ObjectionRulings,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Upheld or dismissed together (e.g. a flood of objections with one note). Objections already ruled the same
    way are left as they are, so the same request sent again changes nothing; one ruled otherwise is a 409 and
    nothing is ruled."""

    async def make() -> ObjectionRulingsRead:
        items, ruled = await objections.rule_objections(session, runtime, principal, project_id, body)
        return ObjectionRulingsRead(items=[ObjectionRead.model_validate(item) for item in items], ruled=ruled)

    scope = f"{principal.subject}:{project_id}:objection-rule-many"
    return await once(key=key, scope=scope, body=body, create=make, status_code=200)
