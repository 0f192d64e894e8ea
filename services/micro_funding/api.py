"""Routes only: parse, authorise, call the rules (logic, projects, views), shape the answer."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.micro_funding import delivery, logic, projects, views, workflow
from services.micro_funding.models import tables
from services.micro_funding.schemas import (
    AcceptanceCreate,
    ActionNote,
    DeliberationCreate,
    DisbursementCreate,
    EntryKindName,
    FundPoolCreate,
    FundPoolRead,
    LedgerEntryRead,
    NoticeCreate,
    ObjectionCreate,
    ObjectionRead,
    ObjectionRuling,
    ProgressCreate,
    ProgressRead,
    ProjectDraft,
    ProjectRead,
    ProjectStatus,
    ProjectSummary,
    PublicProject,
    RatingCreate,
    RatingRead,
    ReasonCreate,
    Reconciliation,
    ReleaseCreate,
    ScreeningCreate,
    StepRead,
    Year,
)
from shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role
from shared.messaging.idempotency import run_idempotent
from shared.pagination import Page, PageDep, PageParams
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)


def _page(model: type[BaseModel], items: list, total: int, page: PageParams) -> Page:
    return Page(items=[model.model_validate(item) for item in items], total=total, **page.model_dump())


async def _once(
    session: SessionDep,
    *,
    who: str,
    operation: str,
    key: str | None,
    body: BaseModel,
    make: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
):  # type: ignore[no-untyped-def]
    """Run a create or a step once per Idempotency-Key (the PWA's offline queue replays with the same key)."""
    scope = f"{who}:{operation}"[:200]
    return await run_idempotent(
        session, tables.idempotency, key=key, scope=scope, body=body, create=make, status_code=status_code
    )


# ---------------------------------------------------------------- fund pools and the ledger


@router.get("/fund-pools", operation_id="fund-pool-list", response_model=Page[FundPoolRead], responses=responses(422))
async def list_pools(
    session: SessionDep, page: PageDep, year: Annotated[Year | None, Query()] = None
) -> Page[FundPoolRead]:
    items, total = await logic.list_pools(session, page, year=year)
    return _page(FundPoolRead, items, total, page)


@router.get(
    "/fund-pools/{pool_id}", operation_id="fund-pool-get", response_model=FundPoolRead, responses=responses(404, 422)
)
async def get_pool(pool_id: EntityId, session: SessionDep) -> FundPoolRead:
    return FundPoolRead.model_validate(await logic.get_pool(session, pool_id))


@router.post(
    "/fund-pools",
    operation_id="fund-pool-create",
    status_code=201,
    response_model=FundPoolRead,
    responses=responses(401, 403, 409, 422),
)
async def create_pool(
    body: FundPoolCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.finance)

    async def make() -> FundPoolRead:
        pool = await logic.create_pool(session, runtime, body, actor=principal.subject)
        return FundPoolRead.model_validate(pool)

    return await _once(session, who=principal.subject, operation="fund-pool-create", key=key, body=body, make=make)


@router.get(
    "/fund-pools/{pool_id}/reconciliation",
    operation_id="fund-pool-reconcile",
    response_model=Reconciliation,
    responses=responses(401, 403, 404, 422),
    summary="Replay the pool's ledger and prove the books balance",
)
async def reconcile(pool_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> Reconciliation:
    principal.require(*projects.READERS)
    return await logic.reconcile(session, pool_id)


@router.get(
    "/ledger-entries",
    operation_id="ledger-entry-list",
    response_model=Page[LedgerEntryRead],
    responses=responses(401, 403, 422),
    summary="The append-only ledger, oldest first (one project's ledger with project_id)",
)
async def list_entries(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    pool_id: Annotated[EntityId | None, Query()] = None,
    project_id: Annotated[EntityId | None, Query()] = None,
    kind: Annotated[EntryKindName | None, Query()] = None,
) -> Page[LedgerEntryRead]:
    principal.require(*projects.READERS)
    items, total = await logic.list_entries(
        session, page, pool_id=pool_id, project_id=project_id, kind=kind.value if kind else None
    )
    return _page(LedgerEntryRead, items, total, page)


# ---------------------------------------------------------------- proposals


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.deputy)

    async def make() -> ProjectRead:
        return await views.project_read(session, await projects.create_draft(session, runtime, principal, body))

    return await _once(session, who=principal.subject, operation="project-create", key=key, body=body, make=make)


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
    items, total = await projects.list_projects(
        session,
        page,
        principal,
        status=status.value if status else None,
        pool_id=pool_id,
        village_id=village_id,
        deputy_id=deputy_id,
    )
    return _page(ProjectSummary, items, total, page)


@router.get(
    "/projects/{project_id}",
    operation_id="project-get",
    response_model=ProjectRead,
    responses=responses(401, 403, 404, 422),
)
async def get_project(project_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> ProjectRead:
    return await views.project_read(session, await projects.readable_project(session, principal, project_id))


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
    answer = await views.project_read(session, project)
    await session.commit()
    return answer


# ---------------------------------------------------------------- stages

Step = Callable[..., Awaitable[object]]


async def _take_step(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Principal,
    *,
    project_id: str,
    operation: str,
    key: str | None,
    body: BaseModel,
    rule: Step,
):  # type: ignore[no-untyped-def]
    async def make() -> ProjectRead:
        project = await rule(session, runtime, principal, project_id, body)
        return await views.project_read(session, project)

    who = f"{principal.subject}:{project_id}"
    return await _once(session, who=who, operation=operation, key=key, body=body, make=make, status_code=200)


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
    body: ActionNote | None = None,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def rule(session, runtime, principal, project_id, _):  # type: ignore[no-untyped-def]
        return await workflow.submit(session, runtime, principal, project_id)

    return await _take_step(
        session,
        runtime,
        principal,
        project_id=project_id,
        operation="submit",
        key=key,
        body=body or ActionNote(),
        rule=rule,
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session, runtime, principal, project_id=project_id, operation="screen", key=key, body=body, rule=workflow.screen
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session,
        runtime,
        principal,
        project_id=project_id,
        operation="deliberate",
        key=key,
        body=body,
        rule=workflow.deliberate,
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session,
        runtime,
        principal,
        project_id=project_id,
        operation="notice",
        key=key,
        body=body,
        rule=workflow.start_notice,
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session,
        runtime,
        principal,
        project_id=project_id,
        operation="approve",
        key=key,
        body=body,
        rule=workflow.approve,
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session, runtime, principal, project_id=project_id, operation="accept", key=key, body=body, rule=workflow.accept
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session,
        runtime,
        principal,
        project_id=project_id,
        operation="publish",
        key=key,
        body=body,
        rule=workflow.publish,
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session, runtime, principal, project_id=project_id, operation="reject", key=key, body=body, rule=workflow.reject
    )


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    return await _take_step(
        session,
        runtime,
        principal,
        project_id=project_id,
        operation="withdraw",
        key=key,
        body=body,
        rule=workflow.withdraw,
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
    items, total = await projects.list_steps(session, project_id, page)
    return _page(StepRead, items, total, page)


# ---------------------------------------------------------------- objections


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def make() -> ObjectionRead:
        return ObjectionRead.model_validate(
            await workflow.raise_objection(session, runtime, principal, project_id, body)
        )

    who = f"{principal.subject if principal else 'anonymous'}:{project_id}"
    return await _once(session, who=who, operation="objection-create", key=key, body=body, make=make)


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
    items, total = await projects.list_objections(session, project_id, page)
    return _page(ObjectionRead, items, total, page)


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def make() -> ObjectionRead:
        return ObjectionRead.model_validate(
            await workflow.rule_objection(session, runtime, principal, project_id, objection_id, body)
        )

    who = f"{principal.subject}:{objection_id}"
    return await _once(session, who=who, operation="objection-rule", key=key, body=body, make=make, status_code=200)


# ---------------------------------------------------------------- delivery and money


@router.post(
    "/projects/{project_id}/progress",
    operation_id="progress-create",
    status_code=201,
    response_model=ProgressRead,
    responses=ACTION,
    summary="Monthly progress by the project's deputy or station staff (the first starts the project)",
)
async def create_progress(
    project_id: EntityId,
    body: ProgressCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def make() -> ProgressRead:
        return ProgressRead.model_validate(
            await delivery.report_progress(session, runtime, principal, project_id, body)
        )

    who = f"{principal.subject}:{project_id}"
    return await _once(session, who=who, operation="progress-create", key=key, body=body, make=make)


@router.post(
    "/projects/{project_id}/disbursements",
    operation_id="disbursement-create",
    status_code=201,
    response_model=LedgerEntryRead,
    responses=ACTION,
    summary="Finance pays out of the project's allocation (409 beyond what is left)",
)
async def create_disbursement(
    project_id: EntityId,
    body: DisbursementCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def make() -> LedgerEntryRead:
        return LedgerEntryRead.model_validate(await delivery.disburse(session, runtime, principal, project_id, body))

    who = f"{principal.subject}:{project_id}"
    return await _once(session, who=who, operation="disbursement-create", key=key, body=body, make=make)


@router.post(
    "/projects/{project_id}/releases",
    operation_id="release-create",
    status_code=201,
    response_model=LedgerEntryRead,
    responses=ACTION,
    summary="Finance releases unspent allocation back to the pool",
)
async def create_release(
    project_id: EntityId,
    body: ReleaseCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def make() -> LedgerEntryRead:
        return LedgerEntryRead.model_validate(await delivery.release(session, runtime, principal, project_id, body))

    who = f"{principal.subject}:{project_id}"
    return await _once(session, who=who, operation="release-create", key=key, body=body, make=make)


@router.post(
    "/projects/{project_id}/ratings",
    operation_id="rating-create",
    status_code=201,
    response_model=RatingRead,
    responses=ACTION,
    summary="A villager rates a delivered project (once)",
)
async def create_rating(
    project_id: EntityId,
    body: RatingCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    async def make() -> RatingRead:
        return RatingRead.model_validate(await delivery.rate(session, runtime, principal, project_id, body))

    who = f"{principal.subject}:{project_id}"
    return await _once(session, who=who, operation="rating-create", key=key, body=body, make=make)


@router.get(
    "/projects/{project_id}/ratings",
    operation_id="rating-list",
    response_model=Page[RatingRead],
    responses=responses(401, 403, 404, 422),
)
async def list_ratings(
    project_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[RatingRead]:
    await projects.readable_project(session, principal, project_id)
    items, total = await projects.list_ratings(session, project_id, page)
    return _page(RatingRead, items, total, page)


# ---------------------------------------------------------------- the public page


@router.get(
    "/public/villages/{village_id}/projects",
    operation_id="public-village-projects",
    response_model=Page[PublicProject],
    responses=responses(404, 422),
    summary="A village's micro-projects from their public notice on: stage, money, progress, rating",
)
async def public_village_projects(
    village_id: EntityId,
    session: SessionDep,
    page: PageDep,
    status: Annotated[ProjectStatus | None, Query()] = None,
) -> Page[PublicProject]:
    items, total = await views.public_village_page(session, village_id, page, status.value if status else None)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/public/projects/{project_id}",
    operation_id="public-project-get",
    response_model=PublicProject,
    responses=responses(404, 422),
)
async def public_project(project_id: EntityId, session: SessionDep) -> PublicProject:
    return await views.public_project(session, project_id)


@router.get(
    "/public/projects/{project_id}/progress",
    operation_id="public-progress-list",
    response_model=Page[ProgressRead],
    responses=responses(404, 422),
)
async def public_progress(project_id: EntityId, session: SessionDep, page: PageDep) -> Page[ProgressRead]:
    await views.public_project(session, project_id)
    items, total = await projects.list_progress(session, project_id, page)
    return _page(ProgressRead, items, total, page)
