"""The stages of a project: each step is a POST on the project, run once per Idempotency-Key, answering the
project as it now is; and the project's timeline."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding import views
from services.micro_funding.logic import projects, review
from services.micro_funding.models import Project
from services.micro_funding.schemas import (
    AcceptanceCreate,
    ActionNote,
    DeliberationCreate,
    NoticeCreate,
    ProjectRead,
    ReasonCreate,
    ScreeningCreate,
    StepRead,
)
from shared.auth import CurrentPrincipal, Principal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import Once, OnceDep, RuntimeDep, ServiceRuntime, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)

Body = TypeVar("Body", bound=BaseModel)
Rule = Callable[[AsyncSession, ServiceRuntime, Principal, str, Body], Awaitable[Project]]


async def _take_step(
    once: Once,
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    project_id: str,
    operation: str,
    key: str | None,
    body: Body,
    rule: Rule[Body],
) -> JSONResponse:
    """Run `rule` on the project once per key (scope: caller, project, step) and answer the project."""

    async def make() -> ProjectRead:
        project = await rule(session, runtime, principal, project_id, body)
        return await views.project_read(session, project, with_cases=projects.may_see_cases(principal, project))

    scope = f"{principal.subject}:{project_id}:{operation}"
    return await once(key=key, scope=scope, body=body, create=make, status_code=200)


async def _submit(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, _: ActionNote
) -> Project:
    return await review.submit(session, runtime, principal, project_id)


@router.post(
    "/projects/{project_id}/submission",
    operation_id="project-submit",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The deputy submits their draft",
)
async def submit_project(
    project_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    body: ActionNote | None = None,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    note = body or ActionNote()
    return await _take_step(once, session, runtime, principal, project_id, "submit", key, note, _submit)


@router.post(
    "/projects/{project_id}/screening",
    operation_id="project-screen",
    response_model=ProjectRead,
    responses=ACTION,
    summary="Station staff screen a submitted proposal (pass or reject)",
)
async def screen_project(
    project_id: EntityId,
    body: ScreeningCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "screen", key, body, review.screen)


@router.post(
    "/projects/{project_id}/deliberation",
    operation_id="project-deliberate",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The NPC office records its review and the vote",
)
async def deliberate_project(
    project_id: EntityId,
    body: DeliberationCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "deliberate", key, body, review.deliberate)


@router.post(
    "/projects/{project_id}/notice",
    operation_id="project-notice",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The NPC office opens the public notice for N days",
)
async def notice_project(
    project_id: EntityId,
    body: NoticeCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "notice", key, body, review.start_notice)


@router.post(
    "/projects/{project_id}/approval",
    operation_id="project-approve",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The NPC office approves after the notice: the budget is allocated from the pool (409 if it cannot pay)",
)
async def approve_project(
    project_id: EntityId,
    body: ActionNote,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "approve", key, body, review.approve)


@router.post(
    "/projects/{project_id}/acceptance",
    operation_id="project-accept",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The acceptance (验收) with its report: the project is completed",
)
async def accept_project(
    project_id: EntityId,
    body: AcceptanceCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "accept", key, body, review.accept)


@router.post(
    "/projects/{project_id}/publication",
    operation_id="project-publish",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The NPC office publishes an evaluated project",
)
async def publish_project(
    project_id: EntityId,
    body: ActionNote,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "publish", key, body, review.publish)


@router.post(
    "/projects/{project_id}/rejection",
    operation_id="project-reject",
    response_model=ProjectRead,
    responses=ACTION,
    summary="Reject before funding, with a reason",
)
async def reject_project(
    project_id: EntityId,
    body: ReasonCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "reject", key, body, review.reject)


@router.post(
    "/projects/{project_id}/withdrawal",
    operation_id="project-withdraw",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The deputy withdraws their proposal before funding, with a reason",
)
async def withdraw_project(
    project_id: EntityId,
    body: ReasonCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return await _take_step(once, session, runtime, principal, project_id, "withdraw", key, body, review.withdraw)


@router.get(
    "/projects/{project_id}/steps",
    operation_id="project-step-list",
    response_model=Page[StepRead],
    responses=responses(401, 403, 404, 422),
    summary="The project's timeline",
)
async def list_steps(
    project_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[StepRead]:
    await projects.readable_project(session, principal, project_id)
    items, total = await views.list_steps(session, project_id, page)
    return views.page_of(StepRead, items, total, page)
