"""Bookings: a villager's place at a session, walk-ins at the desk, the lists, cancelling."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.station_scheduling.logic import bookings
from services.station_scheduling.logic.access import MANAGERS, may_see_booking
from services.station_scheduling.logic.sessions import get_reception
from services.station_scheduling.schemas import BookingCreate, BookingRead, WalkInCreate
from services.station_scheduling.views import bookings as booking_views
from shared.auth import CurrentPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["station"])


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(Role.villager)

    async def create() -> BookingRead:
        booking = await bookings.book(db, runtime, session_id, body, principal.subject)
        return await booking_views.booking_read(db, booking)

    scope = f"{principal.subject}:booking:{session_id}"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


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
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    principal.require(*MANAGERS)

    async def create() -> BookingRead:
        return await booking_views.booking_read(db, await bookings.walk_in(db, runtime, session_id, body, by=principal))

    scope = f"{principal.subject}:walk-in:{session_id}"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


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
    await get_reception(db, session_id)
    return await booking_views.session_bookings(db, session_id, page)


@router.get(
    "/bookings/mine", operation_id="booking-mine", response_model=Page[BookingRead], responses=responses(401, 422)
)
async def my_bookings(db: SessionDep, page: PageDep, principal: CurrentPrincipal) -> Page[BookingRead]:
    return await booking_views.my_bookings(db, principal.subject, page)


@router.get(
    "/bookings/{booking_id}",
    operation_id="booking-get",
    response_model=BookingRead,
    responses=responses(401, 403, 404, 422),
)
async def get_booking(booking_id: EntityId, db: SessionDep, principal: CurrentPrincipal) -> BookingRead:
    booking = await bookings.get_booking(db, booking_id)
    may_see_booking(principal, booking)
    return await booking_views.booking_read(db, booking)


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
    may_see_booking(principal, booking)
    answer = await booking_views.booking_read(db, await bookings.cancel_booking(db, runtime, booking, by=principal))
    await db.commit()
    return answer
