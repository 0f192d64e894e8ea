"""Delivery of a funded project: progress reports, disbursements and releases by finance, villagers' ratings."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.micro_funding import views
from services.micro_funding.logic import delivery, projects
from services.micro_funding.schemas import (
    DisbursementCreate,
    LedgerEntryRead,
    ProgressCreate,
    ProgressRead,
    RatingCreate,
    RatingRead,
    ReleaseCreate,
)
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
ACTION = responses(401, 403, 404, 409, 422)


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def make() -> ProgressRead:
        report = await delivery.report_progress(session, runtime, principal, project_id, body)
        return ProgressRead.model_validate(report)

    scope = f"{principal.subject}:{project_id}:progress-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def make() -> LedgerEntryRead:
        return LedgerEntryRead.model_validate(await delivery.disburse(session, runtime, principal, project_id, body))

    scope = f"{principal.subject}:{project_id}:disbursement-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def make() -> LedgerEntryRead:
        return LedgerEntryRead.model_validate(await delivery.release(session, runtime, principal, project_id, body))

    scope = f"{principal.subject}:{project_id}:release-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def make() -> RatingRead:
        return RatingRead.model_validate(await delivery.rate(session, runtime, principal, project_id, body))

    scope = f"{principal.subject}:{project_id}:rating-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


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
    items, total = await views.list_ratings(session, project_id, page)
    return views.page_of(RatingRead, items, total, page)
