"""The stages of a project, as one table: each row is a POST on the project that runs one rule of
`logic.review` once per Idempotency-Key (scope: caller, project, step) and answers the project as it now is;
and the project's timeline."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

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
from shared.routes import with_body
from shared.service import OnceDep, RuntimeDep, ServiceRuntime, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)

Rule = Callable[[AsyncSession, ServiceRuntime, Principal, str, Any], Awaitable[Project]]


async def _submit(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, _: ActionNote
) -> Project:
    return await review.submit(session, runtime, principal, project_id)


@dataclass(frozen=True)
class StepRoute:
    """One stage as a route: POST /projects/{project_id}/<path>, operation `project-<step>`."""

    step: str
    path: str
    summary: str
    body: type[BaseModel]
    rule: Rule
    body_optional: bool = False


STEPS: list[StepRoute] = [
    StepRoute("submit", "submission", "The deputy submits their draft", ActionNote, _submit, body_optional=True),
    StepRoute(
        "screen", "screening", "Station staff screen a submitted proposal (pass or reject)", ScreeningCreate,
        review.screen,
    ),
    StepRoute(
        "deliberate", "deliberation", "The NPC office records its review and the vote", DeliberationCreate,
        review.deliberate,
    ),
    StepRoute(
        "notice", "notice", "The NPC office opens the public notice for N days", NoticeCreate, review.start_notice
    ),
    StepRoute(
        "approve", "approval",
        "The NPC office approves after the notice: the budget is allocated from the pool (409 if it cannot pay)",
        ActionNote, review.approve,
    ),
    StepRoute(
        "accept", "acceptance", "The acceptance (验收) with its report: the project is completed", AcceptanceCreate,
        review.accept,
    ),
    StepRoute("publish", "publication", "The NPC office publishes an evaluated project", ActionNote, review.publish),
    StepRoute("reject", "rejection", "Reject before funding, with a reason", ReasonCreate, review.reject),
    StepRoute(
        "withdraw", "withdrawal", "The deputy withdraws their proposal before funding, with a reason", ReasonCreate,
        review.withdraw,
    ),
]  # fmt: skip


def _endpoint(spec: StepRoute) -> Callable[..., Awaitable[JSONResponse]]:
    async def endpoint(
        project_id: EntityId,
        session: SessionDep,
        runtime: RuntimeDep,
        principal: CurrentPrincipal,
        once: OnceDep,
        body: BaseModel,
        key: IdempotencyKeyHeader = None,
    ) -> JSONResponse:
        async def make() -> ProjectRead:
            project = await spec.rule(session, runtime, principal, project_id, body)
            return await views.project_read(session, project, with_cases=projects.may_see_cases(principal, project))

        scope = f"{principal.subject}:{project_id}:{spec.step}"
        return await once(key=key, scope=scope, body=body, create=make, status_code=200)

    return endpoint


for _spec in STEPS:
    router.add_api_route(
        f"/projects/{{project_id}}/{_spec.path}",
        with_body(_endpoint(_spec), _spec.body, optional=_spec.body_optional),
        methods=["POST"],
        operation_id=f"project-{_spec.step}",
        response_model=ProjectRead,
        responses=ACTION,
        summary=_spec.summary,
        name=f"{_spec.step}_project",
    )


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
