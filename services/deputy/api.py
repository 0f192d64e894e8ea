from typing import Annotated

from fastapi import APIRouter, Depends

from services.deputy import logic
from services.deputy.models import InboxCase, tables
from services.deputy.schemas import DeputyCreate, DeputyLevel, DeputyRead, InboxCaseRead
from shared.auth import CurrentPrincipal, Principal, Role
from shared.idempotency import run_idempotent
from shared.pagination import Page, PageParams, page_params
from shared.problems import Forbidden, responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["deputy"])
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("/deputies", operation_id="deputy-list", response_model=Page[DeputyRead], responses=responses(422))
async def list_deputies(session: SessionDep, page: PageDep, level: DeputyLevel | None = None) -> Page[DeputyRead]:
    items, total = await logic.list_deputies(session, page, level=level)
    return Page(items=[DeputyRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/deputies/{deputy_id}", operation_id="deputy-get", response_model=DeputyRead, responses=responses(404, 422)
)
async def get_deputy(deputy_id: EntityId, session: SessionDep) -> DeputyRead:
    return DeputyRead.model_validate(await logic.get_deputy(session, deputy_id))


@router.post(
    "/deputies",
    operation_id="deputy-register",
    status_code=201,
    response_model=DeputyRead,
    responses=responses(401, 403, 409, 422),
)
async def register_deputy(
    body: DeputyCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.npc_office)

    async def create() -> DeputyRead:
        return DeputyRead.model_validate(await logic.register_deputy(session, runtime, body))

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:deputy-register", body=body, create=create
    )


def _inbox_page(items: list[InboxCase], total: int, page: PageParams) -> Page[InboxCaseRead]:
    return Page(items=[InboxCaseRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/inbox", operation_id="deputy-my-inbox", response_model=Page[InboxCaseRead], responses=responses(401, 403, 422)
)
async def my_inbox(session: SessionDep, page: PageDep, principal: CurrentPrincipal) -> Page[InboxCaseRead]:
    """The signed-in deputy's cases, the most urgent first."""
    principal.require(Role.deputy)
    if principal.deputy_id is None:
        raise Forbidden("This account is not linked to a deputy.")
    return _inbox_page(*await logic.inbox(session, principal.deputy_id, page), page)


def _may_read_inbox(principal: Principal, deputy_id: str) -> bool:
    return principal.deputy_id == deputy_id or principal.has(Role.npc_office, Role.station_staff)


@router.get(
    "/deputies/{deputy_id}/inbox",
    operation_id="deputy-inbox",
    response_model=Page[InboxCaseRead],
    responses=responses(401, 403, 404, 422),
)
async def deputy_inbox(
    deputy_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[InboxCaseRead]:
    if not _may_read_inbox(principal, deputy_id):
        raise Forbidden("Only the deputy and the office may read this inbox.")
    await logic.get_deputy(session, deputy_id)
    return _inbox_page(*await logic.inbox(session, deputy_id, page), page)
