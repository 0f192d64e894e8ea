"""Proposals: a deputy drafts and rewrites their own; officials list and read them."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.micro_funding import views
from services.micro_funding.logic import projects
from services.micro_funding.schemas import ProjectDraft, ProjectRead, ProjectStatus, ProjectSummary
from shared.auth import CurrentPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)


@router.post(
    "/projects",
    operation_id="project-create",
    status_code=201,
    response_model=ProjectRead,
    responses=responses(401, 403, 404, 409, 422),
    summary="A deputy drafts a proposal citing villagers' cases",
)
async def create_project(
    body: ProjectDraft,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(Role.deputy)

    async def make() -> ProjectRead:
        return await views.project_read(
            session, await projects.create_draft(session, runtime, principal, body), with_cases=True
        )

    scope = f"{principal.subject}:project-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


@router.get(
    "/projects", operation_id="project-list", response_model=Page[ProjectSummary], responses=responses(401, 403, 422)
)
async def list_projects(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: Annotated[ProjectStatus | None, Query()] = None,
    pool_id: Annotated[EntityId | None, Query()] = None,
    village_id: Annotated[EntityId | None, Query()] = None,
    deputy_id: Annotated[EntityId | None, Query()] = None,
) -> Page[ProjectSummary]:
    principal.require(*projects.READERS)
    items, total = await views.list_projects(
        session,
        page,
        own_deputy_id=projects.own_drafts_of(principal),
        status=status.value if status else None,
        pool_id=pool_id,
        village_id=village_id,
        deputy_id=deputy_id,
    )
    return views.page_of(ProjectSummary, items, total, page)


@router.get(
    "/projects/{project_id}",
    operation_id="project-get",
    response_model=ProjectRead,
    responses=responses(401, 403, 404, 422),
)
async def get_project(project_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> ProjectRead:
    project = await projects.readable_project(session, principal, project_id)
    return await views.project_read(session, project, with_cases=projects.may_see_cases(principal, project))


@router.put(
    "/projects/{project_id}",
    operation_id="project-update",
    response_model=ProjectRead,
    responses=ACTION,
    summary="The deputy rewrites their own draft",
)
async def update_project(
    project_id: EntityId, body: ProjectDraft, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> ProjectRead:
    project = await projects.update_draft(session, runtime, principal, project_id, body)
    answer = await views.project_read(session, project, with_cases=True)
    await session.commit()
    return answer
