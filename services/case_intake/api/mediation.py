"""People's mediation (人民调解) of a dispute: its sessions, and the follow-up of an agreement (performance and
judicial confirmation, and the court's ruling on it)."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.api.common import ACTION_ERRORS, RuntimeDep
from services.case_intake.domain.lifecycle import Who
from services.case_intake.logic import mediation
from services.case_intake.logic.access import who
from services.case_intake.logic.cases import get_case
from services.case_intake.models import Case, MediationSession
from services.case_intake.schemas import ConfirmationBody, MediationCreate, MediationRead, PerformanceBody, RulingBody
from services.case_intake.views import mediation as views
from shared.auth import CurrentPrincipal, Principal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])

FollowUp = Callable[[Case, MediationSession, Who], Awaitable[MediationSession]]


@router.get(
    "/cases/{case_id}/mediations",
    operation_id="mediation-list",
    response_model=Page[MediationRead],
    responses=responses(401, 403, 404, 422),
)
async def list_mediations(
    case_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[MediationRead]:
    case = await get_case(session, case_id)
    items, total = await views.list_sessions(session, case, await who(session, case, principal), page)
    return Page(items=[views.read_model(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/cases/{case_id}/mediations",
    operation_id="mediation-record",
    status_code=201,
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_mediation(
    case_id: EntityId,
    body: MediationCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Record a mediation session: the parties, mediators, the record and any agreement (调解协议书)."""

    async def create() -> MediationRead:
        case = await get_case(session, case_id, for_update=True)
        standing = await who(session, case, principal)
        return views.read_model(await mediation.record_session(session, runtime, case, standing, body))

    scope = f"{principal.subject}:mediation-record:{case_id}"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


async def _follow_up(
    session: AsyncSession, principal: Principal, case_id: str, mediation_id: str, do: FollowUp
) -> MediationRead:
    case = await get_case(session, case_id, for_update=True)
    found = await mediation.get_session(session, case, mediation_id)
    read = views.read_model(await do(case, found, await who(session, case, principal)))
    await session.commit()
    return read


@router.post(
    "/cases/{case_id}/mediations/{mediation_id}/performance",
    operation_id="mediation-performance",
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_performance(
    case_id: EntityId,
    mediation_id: EntityId,
    body: PerformanceBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> MediationRead:
    """The follow-up: was the agreement carried out? (Setting it twice keeps the latest answer.)"""

    async def do(case: Case, found: MediationSession, standing: Who) -> MediationSession:
        return await mediation.record_performance(session, runtime, case, found, standing, body)

    return await _follow_up(session, principal, case_id, mediation_id, do)


@router.post(
    "/cases/{case_id}/mediations/{mediation_id}/confirmation",
    operation_id="mediation-confirmation",
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_confirmation(
    case_id: EntityId,
    mediation_id: EntityId,
    body: ConfirmationBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> MediationRead:
    """Both parties applied to the court for judicial confirmation (司法确认) within 30 days."""

    async def do(case: Case, found: MediationSession, standing: Who) -> MediationSession:
        return await mediation.record_confirmation(session, runtime, case, found, standing, body)

    return await _follow_up(session, principal, case_id, mediation_id, do)


@router.post(
    "/cases/{case_id}/mediations/{mediation_id}/ruling",
    operation_id="mediation-ruling",
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_ruling(
    case_id: EntityId,
    mediation_id: EntityId,
    body: RulingBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> MediationRead:
    """The court's ruling on the judicial confirmation (司法确认裁定): confirmed or not, the day, the document number;
    once, after the application. It goes on the dispute's timeline."""

    async def do(case: Case, found: MediationSession, standing: Who) -> MediationSession:
        return await mediation.record_ruling(session, runtime, case, found, standing, body)

    return await _follow_up(session, principal, case_id, mediation_id, do)
