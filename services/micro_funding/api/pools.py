"""Fund pools and their ledger: created by finance, read by officials, reconciled on demand."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.micro_funding import views
from services.micro_funding.logic import pools
from services.micro_funding.logic.projects import READERS
from services.micro_funding.schemas import (
    EntryKindName,
    FundPoolCreate,
    FundPoolRead,
    LedgerEntryRead,
    Reconciliation,
    Year,
)
from shared.auth import CurrentPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])


@router.get("/fund-pools", operation_id="fund-pool-list", response_model=Page[FundPoolRead], responses=responses(422))
async def list_pools(
    session: SessionDep, page: PageDep, year: Annotated[Year | None, Query()] = None
) -> Page[FundPoolRead]:
    items, total = await views.list_pools(session, page, year=year)
    return views.page_of(FundPoolRead, items, total, page)


@router.get(
    "/fund-pools/{pool_id}", operation_id="fund-pool-get", response_model=FundPoolRead, responses=responses(404, 422)
)
async def get_pool(pool_id: EntityId, session: SessionDep) -> FundPoolRead:
    return FundPoolRead.model_validate(await pools.get_pool(session, pool_id))


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(Role.finance)

    async def make() -> FundPoolRead:
        pool = await pools.create_pool(session, runtime, body, actor=principal.subject, by=principal)
        return FundPoolRead.model_validate(pool)

    scope = f"{principal.subject}:fund-pool-create"
    return await once(key=key, scope=scope, body=body, create=make, status_code=201)


@router.get(
    "/fund-pools/{pool_id}/reconciliation",
    operation_id="fund-pool-reconcile",
    response_model=Reconciliation,
    responses=responses(401, 403, 404, 422),
    summary="Replay the pool's ledger and prove the books balance",
)
async def reconcile(pool_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> Reconciliation:
    principal.require(*READERS)
    return await views.reconciliation(session, await pools.get_pool(session, pool_id))


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
    principal.require(*READERS)
    items, total = await views.list_entries(
        session, page, pool_id=pool_id, project_id=project_id, kind=kind.value if kind else None
    )
    return views.page_of(LedgerEntryRead, items, total, page)
