"""Deputies: list, one, register, change, retire."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.deputy.api.access import is_self, view_of
from services.deputy.logic import deputies
from services.deputy.schemas import DeputyCreate, DeputyLevel, DeputyRead, DeputyRetire, DeputyStatus, DeputyUpdate
from services.deputy.views import deputies as views
from shared.auth import CurrentPrincipal, OptionalPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader, text

router = APIRouter(tags=["deputy"])


@router.get("/deputies", operation_id="deputy-list", response_model=Page[DeputyRead], responses=responses(401, 422))
async def list_deputies(
    session: SessionDep,
    page: PageDep,
    principal: OptionalPrincipal,
    level: DeputyLevel | None = None,
    district: Annotated[text(120, 1) | None, Query()] = None,  # type: ignore[valid-type]
    status: DeputyStatus | None = None,
    q: Annotated[text(60, 1) | None, Query(description="Part of the name or code")] = None,  # type: ignore[valid-type]
) -> Page[DeputyRead]:
    """Deputies: their public profile for everyone; officials also see contact details, masked."""
    return await views.list_deputies(
        session,
        page,
        lambda deputy_id: view_of(principal, deputy_id, single=False),
        level=level,
        district=district,
        status=status,
        q=q,
    )


@router.get(
    "/deputies/{deputy_id}", operation_id="deputy-get", response_model=DeputyRead, responses=responses(401, 404, 422)
)
async def get_deputy(deputy_id: EntityId, session: SessionDep, principal: OptionalPrincipal) -> DeputyRead:
    """One deputy; full contact details and home only for the office and the deputy themself."""
    deputy = await deputies.get_deputy(session, deputy_id)
    view = view_of(principal, deputy_id, single=True)
    answer = views.deputy_read(deputy, view)
    if view == "full" and principal is not None and not is_self(principal, deputy_id):
        await deputies.contact_read(session, deputy, principal)
    return answer


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(Role.npc_office)

    async def create() -> DeputyRead:
        return views.deputy_read(await deputies.register_deputy(session, runtime, body, by=principal), "full")

    return await once(key=key, scope=f"{principal.subject}:deputy-register", body=body, create=create, status_code=201)


@router.patch(
    "/deputies/{deputy_id}",
    operation_id="deputy-update",
    response_model=DeputyRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def update_deputy(
    deputy_id: EntityId, body: DeputyUpdate, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> DeputyRead:
    principal.require(Role.npc_office)
    answer = views.deputy_read(await deputies.update_deputy(session, runtime, deputy_id, body, by=principal), "full")
    await session.commit()
    return answer


@router.post(
    "/deputies/{deputy_id}/retire",
    operation_id="deputy-retire",
    response_model=DeputyRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def retire_deputy(
    deputy_id: EntityId, body: DeputyRetire, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> DeputyRead:
    """The deputy leaves office; their grid assignments end (the grid service listens)."""
    principal.require(Role.npc_office)
    answer = views.deputy_read(await deputies.retire_deputy(session, runtime, deputy_id, body, by=principal), "full")
    await session.commit()
    return answer
