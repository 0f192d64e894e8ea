import json
from typing import Annotated

from fastapi import APIRouter, Query

from services.deputy import duty, logic
from services.deputy.models import Deputy, DutyRecord, InboxCase, SupportPair, tables
from services.deputy.schemas import (
    BehindPage,
    DeputyCreate,
    DeputyLevel,
    DeputyRead,
    DeputyRetire,
    DeputyStatus,
    DeputyUpdate,
    DutyRecordRead,
    EntryCreate,
    FiveOnes,
    FiveRole,
    HouseholdVisitCreate,
    InboxCaseRead,
    LatLon,
    Statistics,
    SupportPairCreate,
    SupportPairEnd,
    SupportPairRead,
)
from shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role
from shared.errors import Forbidden
from shared.messaging.idempotency import run_idempotent
from shared.pagination import Page, PageDep, PageParams
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import CivilDate, EntityId, IdempotencyKeyHeader, text

router = APIRouter(tags=["deputy"])
Year = Annotated[int, Query(ge=2000, le=2100, description="The year (China time)")]
OFFICIALS = (Role.deputy, Role.station_staff, Role.agency_officer, Role.npc_office, Role.finance)
OFFICE_OR_STAFF = (Role.npc_office, Role.station_staff)


# --- who sees what --------------------------------------------------------------------------------------


def _is_self(principal: Principal | None, deputy_id: str) -> bool:
    return principal is not None and principal.has(Role.deputy) and principal.deputy_id == deputy_id


def _view(principal: Principal | None, deputy_id: str, *, single: bool) -> str:
    """public (villagers, the public) · masked (officials, and every list) · full (the office or the deputy, one)."""
    if principal is None or not principal.has(*OFFICIALS):
        return "public"
    if single and (principal.has(Role.npc_office) or _is_self(principal, deputy_id)):
        return "full"
    return "masked"


def _may_see_private(principal: Principal | None, deputy_id: str) -> bool:
    return _is_self(principal, deputy_id) or (principal is not None and principal.has(*OFFICE_OR_STAFF))


def _require_self_or(principal: Principal, deputy_id: str, *roles: Role) -> None:
    if not (_is_self(principal, deputy_id) or principal.has(*roles)):
        raise Forbidden("Only the deputy themself or the office may do this.")


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


def deputy_read(deputy: Deputy, view: str) -> DeputyRead:
    answer = DeputyRead(
        id=deputy.id,
        code=deputy.code,
        name=deputy.name,
        level=deputy.level,
        district=deputy.district,
        council_member=deputy.council_member,
        organisation=deputy.organisation,
        status=deputy.status,
        retired_on=deputy.retired_on,
        is_demo=deputy.is_demo,
        view=view,
    )
    if view == "public":
        return answer
    answer.home_grid_id, answer.version = deputy.home_grid_id, deputy.version
    answer.contact_phone = deputy.contact_phone if view == "full" else mask_phone(deputy.contact_phone)
    if view == "full" and deputy.home_lat is not None and deputy.home_lon is not None:
        answer.home_location = LatLon(lat=deputy.home_lat, lon=deputy.home_lon)
    return answer


def record_read(record: DutyRecord, private: bool) -> DutyRecordRead:
    answer = DutyRecordRead(
        id=record.id,
        deputy_id=record.deputy_id,
        kind=record.kind,
        source=record.source,
        roles=[FiveRole(role) for role in record.roles.split(",") if role],
        occurred_at=record.occurred_at,
        grid_id=record.grid_id,
        summary=record.summary,
        five_one=record.five_one,
        visitors=record.quantity if record.kind == "reception" else None,
    )
    if private:
        answer.notes, answer.place, answer.case_id, answer.pair_id = (
            record.notes,
            record.place,
            record.case_id,
            record.pair_id,
        )
        answer.photos = json.loads(record.photos) if record.photos else []
        answer.location = LatLon(lat=record.lat, lon=record.lon) if record.lat is not None else None
    return answer


def pair_read(pair: SupportPair, full: bool) -> SupportPairRead:
    return SupportPairRead(
        id=pair.id,
        deputy_id=pair.deputy_id,
        household=pair.household if full else mask_name(pair.household),
        need=pair.need,
        grid_id=pair.grid_id,
        starts_on=pair.starts_on,
        ends_on=pair.ends_on,
    )


def _page(items: list, total: int, page: PageParams) -> Page:  # type: ignore[type-arg]
    return Page(items=items, total=total, **page.model_dump())


# --- deputies -------------------------------------------------------------------------------------------


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
    items, total = await logic.list_deputies(session, page, level=level, district=district, status=status, q=q)
    return _page([deputy_read(item, _view(principal, item.id, single=False)) for item in items], total, page)


@router.get(
    "/deputies/{deputy_id}", operation_id="deputy-get", response_model=DeputyRead, responses=responses(401, 404, 422)
)
async def get_deputy(deputy_id: EntityId, session: SessionDep, principal: OptionalPrincipal) -> DeputyRead:
    """One deputy; full contact details and home only for the office and the deputy themself."""
    deputy = await logic.get_deputy(session, deputy_id)
    return deputy_read(deputy, _view(principal, deputy_id, single=True))


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
        return deputy_read(await logic.register_deputy(session, runtime, body), "full")

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:deputy-register", body=body, create=create
    )


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
    answer = deputy_read(await logic.update_deputy(session, runtime, deputy_id, body), "full")
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
    answer = deputy_read(await logic.retire_deputy(session, runtime, deputy_id, body), "full")
    await session.commit()
    return answer


# --- the inbox ------------------------------------------------------------------------------------------


def _inbox_page(items: list[InboxCase], total: int, page: PageParams) -> Page[InboxCaseRead]:
    return _page([InboxCaseRead.model_validate(item) for item in items], total, page)


@router.get(
    "/inbox", operation_id="deputy-my-inbox", response_model=Page[InboxCaseRead], responses=responses(401, 403, 422)
)
async def my_inbox(
    session: SessionDep, page: PageDep, principal: CurrentPrincipal, open_only: bool = False
) -> Page[InboxCaseRead]:
    """The signed-in deputy's cases: open ones first, the most urgent first."""
    principal.require(Role.deputy)
    if principal.deputy_id is None:
        raise Forbidden("This account is not linked to a deputy.")
    return _inbox_page(*await logic.inbox(session, principal.deputy_id, page, open_only=open_only), page)


@router.get(
    "/deputies/{deputy_id}/inbox",
    operation_id="deputy-inbox",
    response_model=Page[InboxCaseRead],
    responses=responses(401, 403, 404, 422),
)
async def deputy_inbox(
    deputy_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal, open_only: bool = False
) -> Page[InboxCaseRead]:
    _require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)
    await logic.get_deputy(session, deputy_id)
    return _inbox_page(*await logic.inbox(session, deputy_id, page, open_only=open_only), page)


# --- the record of duty ----------------------------------------------------------------------------------


@router.get(
    "/deputies/{deputy_id}/record",
    operation_id="deputy-record",
    response_model=Page[DutyRecordRead],
    responses=responses(401, 404, 422),
)
async def deputy_record(
    deputy_id: EntityId,
    session: SessionDep,
    page: PageDep,
    principal: OptionalPrincipal,
    date_from: CivilDate | None = None,
    date_to: CivilDate | None = None,
    kind: Annotated[text(24, 1) | None, Query()] = None,  # type: ignore[valid-type]
    role: FiveRole | None = None,
) -> Page[DutyRecordRead]:
    """The record of duty (履职档案), latest first; notes, places, GPS and photos only for the deputy and staff."""
    items, total = await duty.list_record(
        session, deputy_id, page, date_from=date_from, date_to=date_to, kind=kind, role=role
    )
    private = _may_see_private(principal, deputy_id)
    return _page([record_read(item, private) for item in items], total, page)


@router.post(
    "/deputies/{deputy_id}/record",
    operation_id="deputy-record-add",
    status_code=201,
    response_model=DutyRecordRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def add_entry(
    deputy_id: EntityId,
    body: EntryCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Log a field visit, inspection, research visit, suggestion, livelihood matter, reception duty or publicity."""
    _require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)

    async def create() -> DutyRecordRead:
        return record_read(await duty.add_entry(session, runtime, deputy_id, body), True)

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:record:{deputy_id}", body=body, create=create
    )


# --- household support pairs ----------------------------------------------------------------------------


@router.get(
    "/deputies/{deputy_id}/support-pairs",
    operation_id="deputy-support-pairs",
    response_model=Page[SupportPairRead],
    responses=responses(401, 403, 404, 422),
)
async def list_pairs(
    deputy_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[SupportPairRead]:
    """The households a deputy supports; station staff see the household's name masked."""
    _require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)
    full = _is_self(principal, deputy_id) or principal.has(Role.npc_office)
    items, total = await duty.list_pairs(session, deputy_id, page)
    return _page([pair_read(item, full) for item in items], total, page)


@router.post(
    "/deputies/{deputy_id}/support-pairs",
    operation_id="deputy-support-pair-add",
    status_code=201,
    response_model=SupportPairRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def add_pair(
    deputy_id: EntityId,
    body: SupportPairCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Pair the deputy with a household in difficulty (结对帮扶)."""
    _require_self_or(principal, deputy_id, Role.npc_office)

    async def create() -> SupportPairRead:
        return pair_read(await duty.add_pair(session, runtime, deputy_id, body), True)

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:pair:{deputy_id}", body=body, create=create
    )


async def _own_pair(session: SessionDep, pair_id: str, principal: Principal) -> SupportPair:
    pair = await duty.get_pair(session, pair_id)
    _require_self_or(principal, pair.deputy_id, Role.npc_office)
    return pair


@router.post(
    "/support-pairs/{pair_id}/end",
    operation_id="deputy-support-pair-end",
    response_model=SupportPairRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def end_pair(
    pair_id: EntityId, body: SupportPairEnd, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> SupportPairRead:
    await _own_pair(session, pair_id, principal)
    answer = pair_read(await duty.end_pair(session, runtime, pair_id, body), True)
    await session.commit()
    return answer


@router.post(
    "/support-pairs/{pair_id}/visits",
    operation_id="deputy-household-visit-add",
    status_code=201,
    response_model=DutyRecordRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def add_household_visit(
    pair_id: EntityId,
    body: HouseholdVisitCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Log a visit to a supported household: the evidence of the year's 'support one household'."""
    pair = await _own_pair(session, pair_id, principal)

    async def create() -> DutyRecordRead:
        return record_read(await duty.add_household_visit(session, runtime, pair, body), True)

    return await run_idempotent(
        session, tables.idempotency, key=key, scope=f"{principal.subject}:visit:{pair_id}", body=body, create=create
    )


# --- five ones and statistics ---------------------------------------------------------------------------


@router.get(
    "/deputies/{deputy_id}/five-ones",
    operation_id="deputy-five-ones",
    response_model=FiveOnes,
    responses=responses(401, 403, 404, 422),
)
async def five_ones(deputy_id: EntityId, year: Year, session: SessionDep, principal: CurrentPrincipal) -> FiveOnes:
    """The year's five ones (五个一): each done or not, with the records behind it."""
    _require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)
    found = await duty.five_ones(session, deputy_id, year)
    for item in found["items"]:
        item["evidence"] = [record_read(record, True) for record in item["evidence"]]
    return FiveOnes.model_validate(found)


@router.get(
    "/five-ones/behind",
    operation_id="deputy-five-ones-behind",
    response_model=BehindPage,
    responses=responses(401, 403, 422),
)
async def behind(
    year: Year,
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    township_id: Annotated[EntityId | None, Query(description="Deputies living in this township")] = None,
) -> BehindPage:
    """Active deputies who have not yet done all five ones in the year, the furthest behind first."""
    principal.require(*OFFICE_OR_STAFF)
    found = await duty.behind(session, year, page, township_id=township_id)
    return BehindPage.model_validate({**found, **page.model_dump()})


@router.get("/statistics", operation_id="deputy-statistics", response_model=Statistics, responses=responses(404, 422))
async def statistics(
    session: SessionDep,
    date_from: CivilDate,
    date_to: CivilDate,
    grid_id: Annotated[EntityId | None, Query(description="A township or village; none: the whole city")] = None,
) -> Statistics:
    """Suggestions, disputes mediated, households supported, livelihood matters, visitors received and issues
    resolved in a date range (both days included, China time), broken down one level lower."""
    return Statistics.model_validate(await duty.statistics(session, date_from, date_to, grid_id=grid_id))
