from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.case_intake import logic
from services.case_intake.models import tables
from services.case_intake.schemas import CaseCreate, CaseRead
from shared.auth import CurrentPrincipal, OptionalPrincipal
from shared.idempotency import run_idempotent
from shared.pagination import Page, PageParams, page_params
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])
PageDep = Annotated[PageParams, Depends(page_params)]

TrackingCode = Annotated[str, Path(pattern=r"^SS-[0-9]{4}-[0-9]{5}$")]


@router.post(
    "/cases", operation_id="case-submit", status_code=201, response_model=CaseRead, responses=responses(401, 409, 422)
)
async def submit_case(
    body: CaseCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """File a case, signed in or anonymously; the answer's tracking code follows it without an account."""

    async def create() -> CaseRead:
        return await logic.read_model(session, await logic.submit_case(session, runtime, body, principal))

    scope = f"{principal.subject if principal else 'anonymous'}:case-submit"
    return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=body, create=create)


@router.get("/cases", operation_id="case-list", response_model=Page[CaseRead], responses=responses(401, 422))
async def list_cases(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: str | None = None,
    grid_id: EntityId | None = None,
) -> Page[CaseRead]:
    """The caller's cases: their own, those routed to them, or all of them for the office."""
    items, total = await logic.list_cases(session, principal, page, status=status, grid_id=grid_id)
    return Page(items=[await logic.read_model(session, item) for item in items], total=total, **page.model_dump())


@router.get(
    "/cases/track/{tracking_code}", operation_id="case-track", response_model=CaseRead, responses=responses(404, 422)
)
async def track_case(tracking_code: TrackingCode, session: SessionDep) -> CaseRead:
    """Follow a case by its tracking code, without an account."""
    return await logic.read_model(session, await logic.get_case_by_tracking_code(session, tracking_code))


@router.get(
    "/cases/{case_id}", operation_id="case-get", response_model=CaseRead, responses=responses(401, 403, 404, 422)
)
async def get_case(case_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> CaseRead:
    case = await logic.get_case(session, case_id)
    await logic.authorize_read(session, case, principal)
    return await logic.read_model(session, case)
