"""Filing and reading cases: file (signed in or not), list one's cases, similar open cases, follow by tracking
code, read one and its contact, say "me too", and the return visits due."""

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from services.case_intake.api.common import STAFF, RuntimeDep, TrackingCode, by_code, shaped
from services.case_intake.logic import filing, support
from services.case_intake.logic.access import authorize_read, authorize_support, contact_read, who
from services.case_intake.logic.cases import get_case as load_case
from services.case_intake.schemas import (
    CaseCreate,
    CaseCreated,
    CaseKind,
    CaseRead,
    CaseStatus,
    ContactRead,
    SimilarCase,
    SortOrder,
    SupportCreate,
    SupportRead,
)
from services.case_intake.views import cases as views
from shared.auth import CurrentPrincipal, OptionalPrincipal
from shared.pagination import Page, PageDep
from shared.problems import problem_response, responses
from shared.service import OnceDep, SessionDep
from shared.types import Code, EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])
DeviceKey = Annotated[
    str | None,
    Header(
        alias="X-Device-Key",
        pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description='A random key the app keeps on the phone: one "me too" per device and case without an account',
    ),
]


@router.post(
    "/cases",
    operation_id="case-submit",
    status_code=201,
    response_model=CaseCreated,
    responses=responses(401, 403, 409, 422, 503),
)
async def submit_case(
    body: CaseCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """File a case, signed in or anonymously; the answer's tracking code follows it without an account.

    Give the group grid, or the `location` (the grid service finds its grid: 503 with Retry-After while it
    cannot, and nothing is stored), or both (the location must lie in or near that grid: 422 else). The
    `open311` channel is the gateway's Open311 route's only (403 for anyone else)."""
    grid_id = await filing.place(runtime, body, principal)

    async def create() -> CaseCreated:
        filed, filer_key = await filing.submit_case(session, runtime, body, principal, grid_id)
        return await views.created_model(session, filed, filer_key)

    scope = f"{principal.subject if principal else 'anonymous'}:case-submit"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.get("/cases", operation_id="case-list", response_model=Page[CaseRead], responses=responses(401, 422))
async def list_cases(
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: CaseStatus | None = None,
    grid_id: EntityId | None = None,
    kind: CaseKind | None = None,
    category: Code | None = None,
    overdue: bool | None = None,
    sort: SortOrder = SortOrder.newest,
) -> Page[CaseRead]:
    """The caller's cases: own and supported, routed to them or in their grids, referred to their organisation;
    all of them for the office. `sort=due` puts the nearest deadline first; `overdue=true` the late ones."""
    items, total = await views.list_cases(
        session,
        principal,
        page,
        status=status,
        grid_id=grid_id,
        kind=kind,
        category=category,
        overdue=overdue,
        now=runtime.clock.now(),
        sort=sort,
    )
    shown = [await shaped(session, item, await who(session, item, principal)) for item in items]
    return Page(items=shown, total=total, **page.model_dump())


@router.get("/cases/similar", operation_id="case-similar", response_model=Page[SimilarCase], responses=responses(422))
async def similar_cases(session: SessionDep, page: PageDep, grid_id: EntityId, category: Code) -> Page[SimilarCase]:
    """Open cases of the same grid and category, to say "me too" (POST /cases/{id}/support) instead of filing."""
    items, total = await views.similar_cases(session, page, grid_id=grid_id, category=category)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/cases/track/{tracking_code}", operation_id="case-track", response_model=CaseRead, responses=responses(404)
)
async def track_case(tracking_code: TrackingCode, session: SessionDep, runtime: RuntimeDep) -> CaseRead:
    """Follow a case by its tracking code, without an account (no contact details are shown)."""
    case = await by_code(session, runtime, tracking_code)
    return await views.read_model(session, case, by_code=True)


@router.get(
    "/cases/{case_id}", operation_id="case-get", response_model=CaseRead, responses=responses(401, 403, 404, 422)
)
async def get_case(case_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> CaseRead:
    case = await load_case(session, case_id)
    return await shaped(session, case, await authorize_read(session, case, principal))


@router.get(
    "/cases/{case_id}/contact",
    operation_id="case-contact",
    response_model=ContactRead,
    responses=responses(401, 403, 404, 422),
)
async def get_contact(case_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> ContactRead:
    """The villager's phone and name, for the deputies handling the case and the office only; every read is in
    the audit log (`case.contact.read`)."""
    case = await load_case(session, case_id)
    answer = views.contact(case, await who(session, case, principal))
    await contact_read(session, case, principal)
    return answer


@router.post(
    "/cases/{case_id}/support",
    operation_id="case-support",
    status_code=201,
    response_model=SupportRead,
    responses=responses(401, 404, 409, 422, 429),
)
async def support_case(
    case_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    once: OnceDep,
    body: SupportCreate = SupportCreate(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
    device_key: DeviceKey = None,
) -> JSONResponse:
    """ "Me too": add yourself (signed in or not) as a supporter of an open public case (one the board shows)
    instead of filing it again. It makes you no reader of the case: a private case or a dispute is 404 to
    whoever may not read it. Without an account: once per `X-Device-Key`, and a few a case an hour (429)."""
    await authorize_support(session, await load_case(session, case_id), principal)  # before any replay

    async def create() -> SupportRead:
        case = await load_case(session, case_id, for_update=True)
        supporters = await support.support(session, runtime, case, principal, body.note, device_key)
        return SupportRead(case_id=case.id, supporters=supporters)

    scope = f"{principal.subject if principal else 'anonymous'}:case-support:{case_id}"
    try:
        return await once(key=key, scope=scope, body=body, create=create, status_code=201)
    except support.TooManySupports as error:
        return problem_response(429, error.detail, params=error.params, headers={"Retry-After": str(error.retry_after)})


@router.get(
    "/return-visits/due",
    operation_id="return-visit-due",
    response_model=Page[CaseRead],
    responses=responses(401, 403, 422),
)
async def return_visits_due(
    session: SessionDep, runtime: RuntimeDep, page: PageDep, principal: CurrentPrincipal
) -> Page[CaseRead]:
    """For staff: resolved cases waiting for the villager's word, oldest first — those filed on a villager's
    behalf at once, the others once CASE_RETURN_VISIT_DAYS passed without a rating."""
    principal.require(*STAFF)
    items, total = await views.return_visits_due(session, runtime, page)
    shown = [await views.read_model(session, item, contact_visible=True, internal=True) for item in items]
    return Page(items=shown, total=total, **page.model_dump())
