"""Routes only: parse, authorise, call the rules in logic, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.station_scheduling.logic import bookings, feeds, records, rotas, sessions, stations, statistics, views
from services.station_scheduling.logic.common import get_reception
from services.station_scheduling.models import Booking, ReceptionRecord, tables
from services.station_scheduling.schemas import (
    AgencyStaffIn,
    BookingCreate,
    BookingRead,
    OpeningHours,
    Outcome,
    RecordCreate,
    RecordRead,
    RotaCreate,
    RotaRead,
    SessionCancel,
    SessionCreate,
    SessionMode,
    SessionRead,
    SessionStatus,
    StationCreate,
    StationRead,
    StationStatistics,
    StationTier,
    WalkInCreate,
)
from shared.auth import CurrentPrincipal, Principal, Role
from shared.errors import Forbidden
from shared.messaging.idempotency import run_idempotent
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import CivilDate, EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])
MANAGERS = (Role.station_staff, Role.npc_office)
ICS = {
    200: {"description": "An iCalendar feed (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}}}
}
DateFrom = Annotated[CivilDate | None, Query(description="From this day (Asia/Shanghai), included")]
DateTo = Annotated[CivilDate | None, Query(description="Up to this day (Asia/Shanghai), included")]


def _idempotent(db, key, principal: Principal, scope: str, body, create):  # type: ignore[no-untyped-def]
    return run_idempotent(
        db, tables.idempotency, key=key, scope=f"{principal.subject}:{scope}", body=body, create=create
    )


def _may_see_booking(principal: Principal, booking: Booking) -> None:
    if booking.owner != principal.subject and not principal.has(*MANAGERS):
        raise Forbidden("This is not your booking.")


async def _may_see_record(db, principal: Principal, record: ReceptionRecord) -> None:  # type: ignore[no-untyped-def]
    if principal.has(*MANAGERS):
        return
    if not (principal.has(Role.deputy) and await records.on_duty(db, record.session_id, principal.deputy_id)):
        raise Forbidden("Only station staff, the NPC office and the deputies on duty read reception records.")


# --- stations -------------------------------------------------------------------------------------------


@router.get("/stations", operation_id="station-list", response_model=Page[StationRead], responses=responses(422))
async def list_stations(db: SessionDep, page: PageDep, tier: StationTier | None = None) -> Page[StationRead]:
    items, total = await stations.list_stations(db, page, tier=tier)
    return Page(items=[await stations.describe_station(db, item) for item in items], total=total, **page.model_dump())


@router.get(
    "/stations/{station_id}", operation_id="station-get", response_model=StationRead, responses=responses(404, 422)
)
async def get_station(station_id: EntityId, db: SessionDep) -> StationRead:
    return await stations.describe_station(db, await stations.get_station(db, station_id))


@router.post(
    "/stations",
    operation_id="station-create",
    status_code=201,
    response_model=StationRead,
    responses=responses(401, 403, 409, 422),
)
async def create_station(
    body: StationCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(*MANAGERS)

    async def create() -> StationRead:
        return await stations.describe_station(db, await stations.create_station(db, runtime, body))

    return await _idempotent(db, key, principal, "station-create", body, create)


@router.put(
    "/stations/{station_id}/hours",
    operation_id="station-set-hours",
    response_model=StationRead,
    responses=responses(401, 403, 404, 422),
)
async def set_hours(
    station_id: EntityId, body: OpeningHours, db: SessionDep, principal: CurrentPrincipal
) -> StationRead:
    principal.require(*MANAGERS)
    station = await stations.set_hours(db, await stations.get_station(db, station_id), body.windows)
    answer = await stations.describe_station(db, station)
    await db.commit()
    return answer


@router.get(
    "/stations/{station_id}/calendar.ics",
    operation_id="station-calendar",
    response_class=Response,
    responses={**ICS, **responses(404, 422)},
)
async def station_calendar(station_id: EntityId, db: SessionDep, runtime: RuntimeDep) -> Response:
    return Response(await feeds.station_feed(db, runtime, station_id), media_type="text/calendar; charset=utf-8")


@router.get(
    "/stations/{station_id}/statistics",
    operation_id="station-statistics",
    response_model=StationStatistics,
    responses=responses(404, 422),
)
async def station_statistics(
    station_id: EntityId, db: SessionDep, date_from: CivilDate, date_to: CivilDate
) -> StationStatistics:
    return await statistics.statistics_of(db, station_id, date_from, date_to)


@router.get(
    "/statistics",
    operation_id="station-statistics-list",
    response_model=Page[StationStatistics],
    responses=responses(422),
)
async def all_statistics(
    db: SessionDep, page: PageDep, date_from: CivilDate, date_to: CivilDate
) -> Page[StationStatistics]:
    items, total = await statistics.all_statistics(db, page, date_from, date_to)
    return Page(items=items, total=total, **page.model_dump())


# --- sessions -------------------------------------------------------------------------------------------


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
    items, total = await views.list_sessions(db, page, date_from=date_from, date_to=date_to, **filters)
    return Page(items=await views.describe(db, items), total=total, **page.model_dump())


@router.get(
    "/sessions/{session_id}", operation_id="session-get", response_model=SessionRead, responses=responses(404, 422)
)
async def get_session(session_id: EntityId, db: SessionDep) -> SessionRead:
    return await views.describe_one(db, await get_reception(db, session_id))


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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(*MANAGERS)

    async def create() -> SessionRead:
        return await views.describe_one(db, await sessions.schedule(db, runtime, body, principal.subject))

    return await _idempotent(db, key, principal, "session-create", body, create)


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
    answer = await views.describe_one(db, await sessions.cancel(db, runtime, session_id, body.reason))
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
    answer = await views.describe_one(db, await sessions.mark_held(db, runtime, session_id))
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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Station staff add agency staff; an agency officer joins for their own organisation."""
    if not principal.has(*MANAGERS):
        principal.require(Role.agency_officer)
        if body.organisation != principal.organisation:
            raise Forbidden("An agency officer joins for their own organisation.")

    async def create() -> SessionRead:
        return await views.describe_one(db, await sessions.join_agency_staff(db, runtime, session_id, body))

    return await _idempotent(db, key, principal, f"agency-staff:{session_id}", body, create)


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
    items, total = await views.list_sessions(
        db, page, deputy_id=principal.deputy_id, date_from=date_from, date_to=date_to
    )
    return Page(items=await views.describe(db, items), total=total, **page.model_dump())


@router.get(
    "/deputies/{deputy_id}/calendar.ics",
    operation_id="deputy-calendar",
    response_class=Response,
    responses={**ICS, **responses(404, 422)},
)
async def deputy_calendar(deputy_id: EntityId, db: SessionDep, runtime: RuntimeDep) -> Response:
    return Response(await feeds.deputy_feed(db, runtime, deputy_id), media_type="text/calendar; charset=utf-8")


# --- bookings -------------------------------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/bookings",
    operation_id="booking-create",
    status_code=201,
    response_model=BookingRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def book(
    session_id: EntityId,
    body: BookingCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(Role.villager)

    async def create() -> BookingRead:
        return await bookings.describe(db, await bookings.book(db, runtime, session_id, body, principal.subject))

    return await _idempotent(db, key, principal, f"booking:{session_id}", body, create)


@router.post(
    "/sessions/{session_id}/walk-ins",
    operation_id="booking-walk-in",
    status_code=201,
    response_model=BookingRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def walk_in(
    session_id: EntityId,
    body: WalkInCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(*MANAGERS)

    async def create() -> BookingRead:
        return await bookings.describe(db, await bookings.walk_in(db, runtime, session_id, body))

    return await _idempotent(db, key, principal, f"walk-in:{session_id}", body, create)


@router.get(
    "/sessions/{session_id}/bookings",
    operation_id="booking-list-of-session",
    response_model=Page[BookingRead],
    responses=responses(401, 403, 404, 422),
)
async def session_bookings(
    session_id: EntityId, db: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[BookingRead]:
    principal.require(*MANAGERS)
    items, total = await bookings.session_bookings(db, session_id, page)
    return Page(items=await bookings.describe_all(db, items), total=total, **page.model_dump())


@router.get(
    "/bookings/mine", operation_id="booking-mine", response_model=Page[BookingRead], responses=responses(401, 422)
)
async def my_bookings(db: SessionDep, page: PageDep, principal: CurrentPrincipal) -> Page[BookingRead]:
    items, total = await bookings.my_bookings(db, principal.subject, page)
    return Page(items=await bookings.describe_all(db, items), total=total, **page.model_dump())


@router.get(
    "/bookings/{booking_id}",
    operation_id="booking-get",
    response_model=BookingRead,
    responses=responses(401, 403, 404, 422),
)
async def get_booking(booking_id: EntityId, db: SessionDep, principal: CurrentPrincipal) -> BookingRead:
    booking = await bookings.get_booking(db, booking_id)
    _may_see_booking(principal, booking)
    return await bookings.describe(db, booking)


@router.post(
    "/bookings/{booking_id}/cancel",
    operation_id="booking-cancel",
    response_model=BookingRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def cancel_booking(
    booking_id: EntityId, db: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> BookingRead:
    booking = await bookings.get_booking(db, booking_id)
    _may_see_booking(principal, booking)
    answer = await bookings.describe(db, await bookings.cancel_booking(db, runtime, booking))
    await db.commit()
    return answer


# --- reception records ----------------------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/records",
    operation_id="record-create",
    status_code=201,
    response_model=RecordRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_record(
    session_id: EntityId,
    body: RecordCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(*MANAGERS)

    async def create() -> RecordRead:
        record = await records.create_record(db, runtime, session_id, body, principal.subject)
        return RecordRead.model_validate(record)

    return await _idempotent(db, key, principal, f"record:{session_id}", body, create)


@router.get("/records", operation_id="record-list", response_model=Page[RecordRead], responses=responses(401, 403, 422))
async def list_records(
    db: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    session_id: Annotated[EntityId | None, Query()] = None,
    station_id: Annotated[EntityId | None, Query()] = None,
    outcome: Outcome | None = None,
) -> Page[RecordRead]:
    duty_of = None
    if not principal.has(*MANAGERS):
        principal.require(Role.deputy)
        duty_of = principal.deputy_id or ""
    filters = {"session_id": session_id, "station_id": station_id, "outcome": outcome, "duty_of": duty_of}
    items, total = await records.list_records(db, page, **filters)
    return Page(items=[RecordRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/records/{record_id}",
    operation_id="record-get",
    response_model=RecordRead,
    responses=responses(401, 403, 404, 422),
)
async def get_record(record_id: EntityId, db: SessionDep, principal: CurrentPrincipal) -> RecordRead:
    record = await records.get_record(db, record_id)
    await _may_see_record(db, principal, record)
    return RecordRead.model_validate(record)


# --- rotas ----------------------------------------------------------------------------------------------


@router.post(
    "/rotas",
    operation_id="rota-create",
    status_code=201,
    response_model=RotaRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_rota(
    body: RotaCreate, db: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal, key: IdempotencyKeyHeader = None
):  # type: ignore[no-untyped-def]
    principal.require(*MANAGERS)

    async def create() -> RotaRead:
        return await rotas.describe(db, await rotas.create_rota(db, runtime, body, principal.subject))

    return await _idempotent(db, key, principal, "rota-create", body, create)


@router.get("/rotas", operation_id="rota-list", response_model=Page[RotaRead], responses=responses(422))
async def list_rotas(
    db: SessionDep, page: PageDep, station_id: Annotated[EntityId | None, Query()] = None
) -> Page[RotaRead]:
    items, total = await rotas.list_rotas(db, page, station_id=station_id)
    return Page(items=[await rotas.describe(db, item) for item in items], total=total, **page.model_dump())


@router.get("/rotas/{rota_id}", operation_id="rota-get", response_model=RotaRead, responses=responses(404, 422))
async def get_rota(rota_id: EntityId, db: SessionDep) -> RotaRead:
    return await rotas.describe(db, await rotas.get_rota(db, rota_id))
