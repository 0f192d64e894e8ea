"""Deputy rules: registering, changing and retiring deputies, the inbox of cases projected from case events,
and the grid tree projected from grid events (for statistics by township and village)."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.models import Deputy, InboxCase, KnownGrid
from services.deputy.schemas import DeputyCreate, DeputyRetire, DeputyUpdate
from shared.clock import today
from shared.db import upsert_newer
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import (
    CaseAssigned,
    CaseSubmitted,
    CaseTransitioned,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    GridChanged,
    GridCreated,
    GridRetired,
)
from shared.pagination import PageParams, paginate
from shared.service import ServiceRuntime

CLOSED_CASE_STATUSES = ("resolved", "closed", "withdrawn", "rejected", "merged")
PUBLIC_FIELDS = ["name", "level", "district", "council_member", "organisation", "home_grid_id"]
PRIVATE_FIELDS = ["contact_phone", "home_lat", "home_lon"]
Progress = Callable[[int, int], None]


# --- deputies -------------------------------------------------------------------------------------------


async def get_deputy(session: AsyncSession, deputy_id: str) -> Deputy:
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(f"No deputy {deputy_id}.")
    return deputy


async def list_deputies(
    session: AsyncSession,
    params: PageParams,
    *,
    level: str | None = None,
    district: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> tuple[list[Deputy], int]:
    query = select(Deputy).order_by(Deputy.code)
    if level:
        query = query.where(or_(Deputy.level == level, Deputy.level == "both"))
    if district:
        query = query.where(Deputy.district == district)
    if status:
        query = query.where(Deputy.status == status)
    if q:
        query = query.where(or_(Deputy.name.contains(q, autoescape=True), Deputy.code.contains(q, autoescape=True)))
    return await paginate(session, query, params)


def _updated_event(deputy: Deputy, changed: list[str]) -> DeputyUpdated:
    return DeputyUpdated(
        deputy_id=deputy.id,
        code=deputy.code,
        name=deputy.name,
        level=deputy.level,
        district=deputy.district,
        council_member=deputy.council_member,
        organisation=deputy.organisation,
        home_grid_id=deputy.home_grid_id,
        status=deputy.status,
        version=deputy.version,
        changed=changed,
    )


async def require_known_grid(session: AsyncSession, grid_id: str | None) -> None:
    """A grid a request names must be one this service has heard of (its grid.grid.created event arrives
    within milliseconds of its creation); an id that names nothing is refused, not stored."""
    if grid_id is not None and await session.get(KnownGrid, grid_id) is None:
        raise Unprocessable(f"No grid {grid_id} is known here.")


async def register_deputy(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: DeputyCreate,
    *,
    deputy_id: str | None = None,
    is_demo: bool = False,
) -> Deputy:
    """Register a deputy; publishes deputy registered, then the first public profile (deputy updated, v1).

    The demo city is loaded before any grid event flows, from the same reference data: its home grids are
    not checked against the projection."""
    if (await session.execute(select(Deputy.id).where(Deputy.code == data.code))).first():
        raise Conflict(f"A deputy with code {data.code} is registered.")
    if not is_demo:
        await require_known_grid(session, data.home_grid_id)
    location = data.home_location
    deputy = Deputy(
        id=deputy_id or str(uuid.uuid4()),
        status="active",
        version=1,
        is_demo=is_demo,
        created_at=datetime.now(UTC),
        home_lat=location.lat if location else None,
        home_lon=location.lon if location else None,
        **data.model_dump(exclude={"home_location"}),
    )
    session.add(deputy)
    await session.flush()
    registered = DeputyRegistered(
        deputy_id=deputy.id,
        code=deputy.code,
        name=deputy.name,
        level=deputy.level,
        district=deputy.district,
        council_member=deputy.council_member,
    )
    await runtime.emit(session, registered, subject=deputy.id)
    await runtime.emit(session, _updated_event(deputy, []), subject=deputy.id)
    return deputy


def _apply(deputy: Deputy, data: DeputyUpdate) -> None:
    fields = data.model_fields_set
    for field in ("name", "level", "district", "council_member"):
        if field in fields and getattr(data, field) is None:
            raise Unprocessable(f"{field} cannot be cleared.")
    for field in {
        "name",
        "level",
        "district",
        "council_member",
        "organisation",
        "contact_phone",
        "home_grid_id",
    } & fields:
        setattr(deputy, field, getattr(data, field))
    if "home_location" in fields:
        location = data.home_location
        deputy.home_lat, deputy.home_lon = (location.lat, location.lon) if location else (None, None)


async def update_deputy(session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: DeputyUpdate) -> Deputy:
    """Change a deputy; a change of the public profile is published (deputy updated, next version)."""
    deputy = await _active(session, deputy_id)
    if "home_grid_id" in data.model_fields_set:
        await require_known_grid(session, data.home_grid_id)
    before = {field: getattr(deputy, field) for field in PUBLIC_FIELDS + PRIVATE_FIELDS}
    _apply(deputy, data)
    changed = [field for field in before if getattr(deputy, field) != before[field]]
    if not changed:
        return deputy
    deputy.version += 1
    deputy.updated_at = datetime.now(UTC)
    public = [field for field in changed if field in PUBLIC_FIELDS]
    if public:
        await runtime.emit(session, _updated_event(deputy, public), subject=deputy.id)
    await session.flush()
    return deputy


async def _active(session: AsyncSession, deputy_id: str) -> Deputy:
    deputy = await get_deputy(session, deputy_id)
    if deputy.status != "active":
        raise Conflict("The deputy is retired.")
    return deputy


async def retire_deputy(session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: DeputyRetire) -> Deputy:
    """A deputy leaves office; the grid service ends their assignments when it hears of it."""
    deputy = await _active(session, deputy_id)
    if data.retired_on > today(runtime):
        raise Unprocessable("A deputy retires today or on a past day.")
    deputy.status, deputy.retired_on, deputy.retire_reason = "retired", data.retired_on, data.reason
    deputy.version += 1
    deputy.updated_at = datetime.now(UTC)
    event = DeputyRetired(
        deputy_id=deputy.id, code=deputy.code, retired_on=data.retired_on, reason=data.reason, version=deputy.version
    )
    await runtime.emit(session, event, subject=deputy.id)
    await session.flush()
    return deputy


# --- the inbox ------------------------------------------------------------------------------------------


async def inbox(
    session: AsyncSession, deputy_id: str, params: PageParams, *, open_only: bool = False
) -> tuple[list[InboxCase], int]:
    """The deputy's cases: open ones first, the most urgent (earliest deadline) first."""
    is_closed = case((InboxCase.status.in_(CLOSED_CASE_STATUSES), 1), else_=0)
    query = (
        select(InboxCase)
        .where(InboxCase.deputy_id == deputy_id)
        .order_by(is_closed, InboxCase.accept_due_at, InboxCase.case_id)
    )
    if open_only:
        query = query.where(InboxCase.status.not_in(CLOSED_CASE_STATUSES))
    return await paginate(session, query, params)


async def _upsert_inbox(
    session: AsyncSession,
    deputy_ids: list[str],
    case_id: str,
    at: datetime,
    values: dict[str, Any],
    defaults: dict[str, Any],
) -> None:
    """Apply `values` to each deputy's inbox row for the case (made with `defaults` if new), unless a later event
    got there first."""
    rows = [
        {"deputy_id": deputy_id, "case_id": case_id, **defaults, **values, "updated_at": at} for deputy_id in deputy_ids
    ]
    await upsert_newer(session, InboxCase.__table__, rows, changes=tuple(values), stamp="updated_at")


async def on_case_routed(session: AsyncSession, _: ServiceRuntime, payload: CaseSubmitted | CaseAssigned) -> None:
    """A case submitted to, or later assigned to, deputies lands in each one's inbox."""
    values = {
        "tracking_code": payload.tracking_code,
        "grid_id": payload.grid_id,
        "kind": payload.kind,
        "category": payload.category,
        "summary": payload.summary,
        "status": "assigned",
        "submitted_at": payload.submitted_at,
        "accept_due_at": payload.accept_due_at,
    }
    await _upsert_inbox(session, payload.assigned_deputy_ids, payload.case_id, payload.submitted_at, values, {})


async def update_inbox(session: AsyncSession, payload: CaseTransitioned) -> None:
    """Keep each routed deputy's inbox status current; a case routed away leaves the inbox of those it left."""
    values = {"status": payload.to_status, "grid_id": payload.grid_id, "category": payload.category}
    defaults = {
        "tracking_code": payload.tracking_code,
        "kind": payload.kind,
        "summary": "",
        "submitted_at": payload.at,
        "accept_due_at": payload.due_at or payload.at,
    }
    await _upsert_inbox(session, payload.deputy_ids, payload.case_id, payload.at, values, defaults)
    if payload.deputy_ids:
        await session.execute(
            delete(InboxCase).where(
                InboxCase.case_id == payload.case_id,
                InboxCase.deputy_id.not_in(payload.deputy_ids),
                or_(InboxCase.updated_at.is_(None), InboxCase.updated_at <= payload.at),
            )
        )


# --- the grid tree, projected -----------------------------------------------------------------------------


async def _place_in_tree(session: AsyncSession, grid: KnownGrid) -> None:
    """Set the grid's township and village from its parent, then redo its children (a move carries them)."""
    parent = await session.get(KnownGrid, grid.parent_id) if grid.parent_id else None
    grid.township_id = grid.id if grid.level == "township" else (parent.township_id if parent else None)
    grid.village_id = grid.id if grid.level == "village" else (parent.village_id if parent else None)
    if grid.level == "group":
        return
    await session.flush()
    children = (await session.execute(select(KnownGrid).where(KnownGrid.parent_id == grid.id))).scalars().all()
    for child in children:
        await _place_in_tree(session, child)


async def on_grid_created(session: AsyncSession, _: ServiceRuntime, payload: GridCreated) -> None:
    grid = await session.get(KnownGrid, payload.grid_id)
    if grid is not None:
        return
    grid = KnownGrid(
        id=payload.grid_id,
        code=payload.code,
        name=payload.name,
        level=payload.level,
        parent_id=payload.parent_id,
        status="active",
        version=1,
    )
    session.add(grid)
    await _place_in_tree(session, grid)


async def on_grid_changed(session: AsyncSession, _: ServiceRuntime, payload: GridChanged) -> None:
    grid = await session.get(KnownGrid, payload.grid_id)
    if grid is not None and grid.version >= payload.version:
        return
    grid = grid or KnownGrid(id=payload.grid_id, status="active")
    grid.code, grid.name, grid.level, grid.parent_id = payload.code, payload.name, payload.level, payload.parent_id
    grid.version = payload.version
    session.add(grid)
    await _place_in_tree(session, grid)


async def on_grid_retired(session: AsyncSession, _: ServiceRuntime, payload: GridRetired) -> None:
    grid = await session.get(KnownGrid, payload.grid_id)
    if grid is not None:
        grid.status, grid.version = "retired", max(grid.version, payload.version)
