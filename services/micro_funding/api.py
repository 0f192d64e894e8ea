from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.micro_funding import logic
from services.micro_funding.models import tables
from services.micro_funding.schemas import FundPoolCreate, FundPoolRead, Year
from shared.auth import CurrentPrincipal, Role
from shared.idempotency import run_idempotent
from shared.pagination import Page, PageParams, page_params
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["funding"])
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("/fund-pools", operation_id="fund-pool-list", response_model=Page[FundPoolRead], responses=responses(422))
async def list_pools(
    session: SessionDep, page: PageDep, year: Annotated[Year | None, Query()] = None
) -> Page[FundPoolRead]:
    items, total = await logic.list_pools(session, page, year=year)
    return Page(items=[FundPoolRead.model_validate(item) for item in items], total=total, **page.model_dump())


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

    async def create() -> FundPoolRead:
        return FundPoolRead.model_validate(await logic.create_pool(session, runtime, body))

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:fund-pool-create", body=body, create=create
    )
