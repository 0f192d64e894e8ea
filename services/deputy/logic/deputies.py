"""Registering, changing and retiring deputies; the public profile is published (deputy updated), the
personal data never."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.profile import EDITABLE, PRIVATE_FIELDS, PUBLIC_FIELDS, REQUIRED
from services.deputy.models import Deputy, KnownGrid
from services.deputy.schemas import DeputyCreate, DeputyRetire, DeputyUpdate
from shared import audit
from shared.auth import Principal
from shared.clock import today
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import DeputyRegistered, DeputyRetired, DeputyUpdated
from shared.service import ServiceRuntime


async def get_deputy(session: AsyncSession, deputy_id: str) -> Deputy:
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound("No deputy {deputy_id}.", params={"deputy_id": deputy_id})
    return deputy


async def active_deputy(session: AsyncSession, deputy_id: str, refusal: str = "The deputy is retired.") -> Deputy:
    deputy = await get_deputy(session, deputy_id)
    if deputy.status != "active":
        raise Conflict(refusal, rule="deputy.retired")
    return deputy


async def require_known_grid(session: AsyncSession, grid_id: str | None) -> None:
    """A grid a request names must be one this service has heard of (its grid.grid.created event arrives
    within milliseconds of its creation); an id that names nothing is refused, not stored."""
    if grid_id is not None and await session.get(KnownGrid, grid_id) is None:
        raise Unprocessable("No grid {grid_id} is known here.", params={"grid_id": grid_id}, rule="deputy.unknown_grid")


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


async def register_deputy(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: DeputyCreate,
    *,
    deputy_id: str | None = None,
    is_demo: bool = False,
    by: Principal | None = None,
) -> Deputy:
    """Register a deputy; publishes deputy registered, then the first public profile (deputy updated, v1).

    The demo city is loaded before any grid event flows, from the same reference data: its home grids are
    not checked against the projection. `by`: the office account that registers (audited), none for the demo."""
    if (await session.execute(select(Deputy.id).where(Deputy.code == data.code))).first():
        raise Conflict("A deputy with code {code} is registered.", params={"code": data.code}, rule="deputy.code_taken")
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
    if by is not None:
        await audit.record(session, by, "deputy.register", "deputy", deputy.id, code=deputy.code)
    return deputy


def _apply(deputy: Deputy, data: DeputyUpdate) -> None:
    fields = data.model_fields_set
    for field in REQUIRED:
        if field in fields and getattr(data, field) is None:
            raise Unprocessable("{field} cannot be cleared.", params={"field": field}, rule="deputy.required")
    for field in set(EDITABLE) & fields:
        setattr(deputy, field, getattr(data, field))
    if "home_location" in fields:
        location = data.home_location
        deputy.home_lat, deputy.home_lon = (location.lat, location.lon) if location else (None, None)


async def update_deputy(
    session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: DeputyUpdate, *, by: Principal
) -> Deputy:
    """Change a deputy; a change of the public profile is published (deputy updated, next version)."""
    deputy = await active_deputy(session, deputy_id)
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
    await audit.record(session, by, "deputy.update", "deputy", deputy.id, fields=changed, version=deputy.version)
    await session.flush()
    return deputy


async def retire_deputy(
    session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: DeputyRetire, *, by: Principal
) -> Deputy:
    """A deputy leaves office; the grid service ends their assignments when it hears of it."""
    deputy = await active_deputy(session, deputy_id)
    if data.retired_on > today(runtime):
        raise Unprocessable("A deputy retires today or on a past day.")
    deputy.status, deputy.retired_on, deputy.retire_reason = "retired", data.retired_on, data.reason
    deputy.version += 1
    deputy.updated_at = datetime.now(UTC)
    event = DeputyRetired(
        deputy_id=deputy.id, code=deputy.code, retired_on=data.retired_on, reason=data.reason, version=deputy.version
    )
    await runtime.emit(session, event, subject=deputy.id)
    await audit.record(session, by, "deputy.retire", "deputy", deputy.id, retired_on=data.retired_on)
    await session.flush()
    return deputy


async def contact_read(session: AsyncSession, deputy: Deputy, principal: Principal) -> None:
    """The office reads a deputy's full phone and home (the private view): written to the audit log
    (`deputy.contact.read`) before it is answered; the deputy reading their own is not."""
    await audit.record_read(session, principal, "deputy.contact.read", "deputy", deputy.id)
