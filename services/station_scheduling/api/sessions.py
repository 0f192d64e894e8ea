"""Reception sessions: announced, cancelled, held; agency staff joining; a deputy's own duty."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.station_scheduling.logic import sessions
from services.station_scheduling.logic.access import MANAGERS, may_join_agency_staff
from services.station_scheduling.schemas import (
    AgencyStaffIn,
    SessionCancel,
    SessionCreate,
    SessionMode,
    SessionRead,
    SessionStatus,
)
from services.station_scheduling.views.sessions import describe_one, session_page
from shared.auth import CurrentPrincipal, Role
from shared.errors import Forbidden
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import CivilDate, EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])
DateFrom = Annotated[CivilDate | None, Query(description="From this day (Asia/Shanghai), included")]
DateTo = Annotated[CivilDate | None, Query(description="Up to this day (Asia/Shanghai), included")]


@router.get("/sessions", operation_id="session-list", response_model=Page[SessionRead], responses=responses(422))
async def list_sessions(
    db: SessionDep,
    page: PageDep,
    station_id: Annotated[EntityId | None, Query()] = None,
    status: SessionStatus | None = None,
    mode: SessionMode | None = None,
    deputy_id: Annotated[EntityId | None, Query()] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Page[SessionRead]:
    filters = {"station_id": station_id, "status": status, "mode": mode, "deputy_id": deputy_id}
    return await session_page(db, page, date_from=date_from, date_to=date_to, **filters)


@router.get(
    "/sessions/{session_id}", operation_id="session-get", response_model=SessionRead, responses=responses(404, 422)
)
async def get_session(session_id: EntityId, db: SessionDep) -> SessionRead:
    return await describe_one(db, await sessions.get_reception(db, session_id))


@router.post(
    "/sessions",
    operation_id="session-create",
    status_code=201,
    response_model=SessionRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_session(
    body: SessionCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*MANAGERS)

    async def create() -> SessionRead:
        return await describe_one(db, await sessions.schedule(db, runtime, body, principal.subject, by=principal))

    scope = f"{principal.subject}:session-create"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.post(
    "/sessions/{session_id}/cancel",
    operation_id="session-cancel",
    response_model=SessionRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def cancel_session(
    session_id: EntityId, body: SessionCancel, db: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> SessionRead:
    principal.require(*MANAGERS)
    answer = await describe_one(db, await sessions.cancel(db, runtime, session_id, body.reason, by=principal))
    await db.commit()
    return answer


@router.post(
    "/sessions/{session_id}/held",
    operation_id="session-mark-held",
    response_model=SessionRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def mark_held(
    session_id: EntityId, db: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> SessionRead:
    principal.require(*MANAGERS)
    answer = await describe_one(db, await sessions.mark_held(db, runtime, session_id, by=principal))
    await db.commit()
    return answer


@router.post(
    "/sessions/{session_id}/agency-staff",
    operation_id="session-join-agency-staff",
    status_code=201,
    response_model=SessionRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def join_agency_staff(
    session_id: EntityId,
    body: AgencyStaffIn,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Station staff add agency staff; an agency officer joins for their own organisation."""
    may_join_agency_staff(principal, body.organisation)

    async def create() -> SessionRead:
        return await describe_one(db, await sessions.join_agency_staff(db, runtime, session_id, body, by=principal))

    scope = f"{principal.subject}:agency-staff:{session_id}"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.get(
    "/duty/mine",
    operation_id="session-my-duty",
    response_model=Page[SessionRead],
    responses=responses(401, 403, 422),
)
async def my_duty(
    db: SessionDep, page: PageDep, principal: CurrentPrincipal, date_from: DateFrom = None, date_to: DateTo = None
) -> Page[SessionRead]:
    principal.require(Role.deputy)
    if principal.deputy_id is None:
        raise Forbidden("This account acts for no deputy.")
    return await session_page(db, page, deputy_id=principal.deputy_id, date_from=date_from, date_to=date_to)
