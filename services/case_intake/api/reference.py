"""Reference data: the categories a case may name, the organisations it may be referred to, the holiday calendar
of working days (changed by staff; the reference cache forgets what it held), and the out-of-scope answers."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from services.case_intake.api.common import STAFF, Day, ReferenceCode, RuntimeDep
from services.case_intake.logic import organisations, reference
from services.case_intake.schemas import (
    CaseKind,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    HolidayRead,
    HolidaySet,
    OrganisationCreate,
    OrganisationKind,
    OrganisationRead,
    OrganisationUpdate,
    OutOfScopeRead,
)
from services.case_intake.views import reference as views
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, SessionDep
from shared.types import IdempotencyKeyHeader

router = APIRouter(tags=["case"])


@router.get("/categories", operation_id="category-list", response_model=Page[CategoryRead], responses=responses(422))
async def list_categories(
    session: SessionDep, page: PageDep, kind: CaseKind | None = None, include_inactive: bool = False
) -> Page[CategoryRead]:
    """The categories a case may name (dispute types for disputes), in display order."""
    items, total = await views.list_categories(session, page, kind=kind, include_inactive=include_inactive)
    return Page(items=[CategoryRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/categories",
    operation_id="category-create",
    status_code=201,
    response_model=CategoryRead,
    responses=responses(401, 403, 409, 422),
)
async def create_category(
    body: CategoryCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*STAFF)

    async def create() -> CategoryRead:
        return CategoryRead.model_validate(await reference.create_category(session, body, principal))

    scope = f"{principal.subject}:category-create"
    try:
        return await once(key=key, scope=scope, body=body, create=create, status_code=201)
    finally:
        runtime.reference.invalidate()


@router.patch(
    "/categories/{code}",
    operation_id="category-update",
    response_model=CategoryRead,
    responses=responses(401, 403, 404, 422),
)
async def update_category(
    code: ReferenceCode,
    body: CategoryUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> CategoryRead:
    """Relabel a category, change its resolve deadline or kinds, or retire it (`active: false`)."""
    principal.require(*STAFF)
    read = CategoryRead.model_validate(await reference.update_category(session, code, body, principal))
    await session.commit()
    runtime.reference.invalidate()
    return read


@router.get(
    "/organisations", operation_id="organisation-list", response_model=Page[OrganisationRead], responses=responses(422)
)
async def list_organisations(
    session: SessionDep, page: PageDep, kind: OrganisationKind | None = None, include_inactive: bool = False
) -> Page[OrganisationRead]:
    """The organisations a case may be referred to (四方联动), in display order; `code` goes in a referral."""
    items, total = await views.list_organisations(session, page, kind=kind, include_inactive=include_inactive)
    return Page(items=[OrganisationRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/organisations",
    operation_id="organisation-create",
    status_code=201,
    response_model=OrganisationRead,
    responses=responses(401, 403, 409, 422),
)
async def create_organisation(
    body: OrganisationCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Add an organisation to refer cases to; its code must be what its officers' accounts name."""
    principal.require(*STAFF)

    async def create() -> OrganisationRead:
        return OrganisationRead.model_validate(await organisations.create_organisation(session, body, principal))

    scope = f"{principal.subject}:organisation-create"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.patch(
    "/organisations/{code}",
    operation_id="organisation-update",
    response_model=OrganisationRead,
    responses=responses(401, 403, 404, 422),
)
async def update_organisation(
    code: ReferenceCode, body: OrganisationUpdate, session: SessionDep, principal: CurrentPrincipal
) -> OrganisationRead:
    """Rename an organisation, change its kind or place in the list, or retire it (`active: false`)."""
    principal.require(*STAFF)
    read = OrganisationRead.model_validate(await organisations.update_organisation(session, code, body, principal))
    await session.commit()
    return read


@router.get("/holidays", operation_id="holiday-list", response_model=Page[HolidayRead], responses=responses(422))
async def list_holidays(
    session: SessionDep, page: PageDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> Page[HolidayRead]:
    """The days that differ from the Monday-to-Friday week: holidays off, and weekends made working days."""
    items, total = await views.list_holidays(session, page, year=year)
    return Page(items=[HolidayRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.put(
    "/holidays/{day}", operation_id="holiday-set", response_model=HolidayRead, responses=responses(401, 403, 422)
)
async def set_holiday(
    day: Day, body: HolidaySet, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> HolidayRead:
    """Set a day off, or a weekend day made a working day (调休上班). Repeating it changes nothing."""
    principal.require(*STAFF)
    read = HolidayRead.model_validate(await reference.set_holiday(session, day, body, principal))
    await session.commit()
    runtime.reference.invalidate()
    return read


@router.delete(
    "/holidays/{day}", operation_id="holiday-delete", status_code=204, responses=responses(401, 403, 404, 422)
)
async def delete_holiday(day: Day, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal) -> Response:
    principal.require(*STAFF)
    await reference.delete_holiday(session, day, principal)
    await session.commit()
    runtime.reference.invalidate()
    return Response(status_code=204)


@router.get(
    "/out-of-scope", operation_id="out-of-scope-list", response_model=Page[OutOfScopeRead], responses=responses(422)
)
async def list_out_of_scope(page: PageDep) -> Page[OutOfScopeRead]:
    """Matters this channel does not handle, and where the villager should go instead."""
    items = views.out_of_scope_list()
    return Page(items=items[page.offset : page.offset + page.limit], total=len(items), **page.model_dump())
