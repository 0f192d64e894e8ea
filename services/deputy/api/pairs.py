"""Household support pairs (结对帮扶) and the visits to them: the deputy themself or the office pairs and
visits; station staff read the pairs with the household's name masked."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.deputy.api.access import OFFICE_OR_STAFF, is_self, require_self_or
from services.deputy.logic import pairs, visits
from services.deputy.logic.deputies import get_deputy
from services.deputy.models import SupportPair
from services.deputy.schemas import (
    DutyRecordRead,
    HouseholdVisitCreate,
    SupportPairCreate,
    SupportPairEnd,
    SupportPairRead,
)
from services.deputy.views.record import list_pairs as pairs_page
from services.deputy.views.record import pair_read, record_read
from shared.auth import CurrentPrincipal, Principal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["deputy"])


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
    require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)
    full = is_self(principal, deputy_id) or principal.has(Role.npc_office)
    await get_deputy(session, deputy_id)
    answer = await pairs_page(session, deputy_id, page, full=full)
    if full and answer.items:
        await pairs.households_read(session, deputy_id, [item.id for item in answer.items], principal)
    return answer


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Pair the deputy with a household in difficulty (结对帮扶)."""
    require_self_or(principal, deputy_id, Role.npc_office)

    async def create() -> SupportPairRead:
        return pair_read(await pairs.add_pair(session, runtime, deputy_id, body, by=principal), True)

    return await once(key=key, scope=f"{principal.subject}:pair:{deputy_id}", body=body, create=create, status_code=201)


async def _own_pair(session: SessionDep, pair_id: str, principal: Principal) -> SupportPair:
    """The pair, if the caller is its deputy or the office."""
    pair = await pairs.get_pair(session, pair_id)
    require_self_or(principal, pair.deputy_id, Role.npc_office)
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
    answer = pair_read(await pairs.end_pair(session, runtime, pair_id, body, by=principal), True)
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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Log a visit to a supported household: the evidence of the year's 'support one household'."""
    pair = await _own_pair(session, pair_id, principal)

    async def create() -> DutyRecordRead:
        return record_read(await visits.add_household_visit(session, runtime, pair, body, by=principal), True)

    return await once(key=key, scope=f"{principal.subject}:visit:{pair_id}", body=body, create=create, status_code=201)
