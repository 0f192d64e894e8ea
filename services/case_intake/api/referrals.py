"""Referrals to the four parties (四方联动): a case's referrals, an officer's inbox, the organisation's answer, and
the deputy's decision on it (accept, or send back)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.api.common import ACTION_ERRORS, RuntimeDep
from services.case_intake.domain.lifecycle import Who
from services.case_intake.logic import referrals
from services.case_intake.logic.access import authorize_read, who
from services.case_intake.logic.cases import get_case
from services.case_intake.models import Case, Referral
from services.case_intake.schemas import AnswerBody, NoteBody, ReferralRead, SendBackBody
from services.case_intake.views.referrals import list_referrals as referral_list
from shared.auth import CurrentPrincipal, Principal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import Once, OnceDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])

Decide = Callable[[Referral, Case, Who], Awaitable[Any]]


@router.get(
    "/cases/{case_id}/referrals",
    operation_id="case-referrals",
    response_model=Page[ReferralRead],
    responses=responses(401, 403, 404, 422),
)
async def case_referrals(
    case_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[ReferralRead]:
    case = await get_case(session, case_id)
    await authorize_read(session, case, principal)
    items, total = await referral_list(session, principal, page, case_id=case.id)
    return Page(items=[ReferralRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/referrals", operation_id="referral-list", response_model=Page[ReferralRead], responses=responses(401, 403, 422)
)
async def list_referrals(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(open|answered|accepted|cancelled)$")] = None,
) -> Page[ReferralRead]:
    """An officer's inbox: the referrals to their organisation, the earliest due first."""
    items, total = await referral_list(session, principal, page, status=status)
    return Page(items=[ReferralRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/referrals/{referral_id}",
    operation_id="referral-get",
    response_model=ReferralRead,
    responses=responses(401, 403, 404, 422),
)
async def get_referral(referral_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> ReferralRead:
    referral = await referrals.get_referral(session, referral_id)
    await referrals.authorize_read(session, referral, principal)
    return ReferralRead.model_validate(referral)


@router.post(
    "/referrals/{referral_id}/answer",
    operation_id="referral-answer",
    response_model=ReferralRead,
    responses=ACTION_ERRORS,
)
async def answer_referral(
    referral_id: EntityId,
    body: AnswerBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The organisation's officer answers."""

    async def run() -> ReferralRead:
        referral = await referrals.get_referral(session, referral_id, for_update=True)
        return ReferralRead.model_validate(await referrals.answer(session, runtime, referral, principal, body))

    scope = f"{principal.subject}:referral-answer:{referral_id}"
    return await once(key=key, scope=scope, body=body, create=run)


async def _decide(
    session: AsyncSession,
    once: Once,
    principal: Principal,
    referral_id: str,
    key: str | None,
    body: NoteBody | SendBackBody,
    action: str,
    do: Decide,
) -> JSONResponse:
    """Lock the referral and its case, find the deputy's standing, decide (idempotent by key)."""

    async def run() -> ReferralRead:
        referral = await referrals.get_referral(session, referral_id, for_update=True)
        case = await get_case(session, referral.case_id, for_update=True)
        await do(referral, case, await who(session, case, principal))
        await session.flush()
        return ReferralRead.model_validate(referral)

    scope = f"{principal.subject}:referral-{action}:{referral_id}"
    return await once(key=key, scope=scope, body=body, create=run)


@router.post(
    "/referrals/{referral_id}/accept",
    operation_id="referral-accept",
    response_model=ReferralRead,
    responses=ACTION_ERRORS,
)
async def accept_referral_answer(
    referral_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    body: NoteBody = NoteBody(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The deputy accepts the answer: the case goes back to work, to be resolved."""

    async def do(referral: Referral, case: Case, standing: Who) -> None:
        await referrals.accept_answer(session, runtime, referral, case, standing, body)

    return await _decide(session, once, principal, referral_id, key, body, "accept", do)


@router.post(
    "/referrals/{referral_id}/send-back",
    operation_id="referral-send-back",
    response_model=ReferralRead,
    responses=ACTION_ERRORS,
)
async def send_referral_back(
    referral_id: EntityId,
    body: SendBackBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The answer is not enough: the organisation gets it back with a reason and a new due date."""

    async def do(referral: Referral, case: Case, standing: Who) -> None:
        await referrals.send_back(session, runtime, referral, case, standing, body)

    return await _decide(session, once, principal, referral_id, key, body, "send-back", do)
