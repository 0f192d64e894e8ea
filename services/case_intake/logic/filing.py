"""Filing: a case filed by a villager (signed in or not), on their behalf by staff or a deputy, or raised at a
station reception; placed in its group grid, routed to its deputies, its clocks started, in one INSERT a table."""

import uuid
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Actor, CaseStatus, Who
from services.case_intake.domain.tracking import hash_key, new_filer_key, new_tracking_code
from services.case_intake.domain.wording import say
from services.case_intake.logic import photos, recordings
from services.case_intake.logic.access import STAFF_ROLES, is_integrator
from services.case_intake.logic.cases import due_times, now_of
from services.case_intake.logic.reference import usable_category
from services.case_intake.logic.routing import emit_routed, first_route, route
from services.case_intake.logic.timeline import audit_step, new_step
from services.case_intake.models import (
    Base,
    Case,
    CaseAssignee,
    CaseTransition,
    Category,
    KnownGrid,
    RoutingEntry,
    StationHandover,
)
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import CaseCreate, CaseKind, Channel
from shared.auth import Principal, Role
from shared.errors import Forbidden, ServiceUnavailable, Unprocessable
from shared.i18n import N_
from shared.messaging.catalogue import CaseContactGiven, StationIssueHandedOver, StationIssueRaised
from shared.privacy import redact

CHANNEL_WORDS = {
    Channel.pwa: N_("Filed in the app"),
    Channel.phone: N_("Filed by station staff from a phone call"),
    Channel.walk_in: N_("Filed by station staff for a villager who came in"),
    Channel.field_visit: N_("Filed by a deputy on a field visit"),
    Channel.station: N_("Raised at a reception session of a liaison station"),
    Channel.open311: N_("Filed through a partner system (Open311)"),
}
STATION_ROUTES = {
    "township": N_("by the township"),
    "city_organs": N_("by the city's organs"),
    "suggestion": N_("as a deputy's suggestion"),
}
ON_BEHALF = {Channel.phone, Channel.walk_in, Channel.station, Channel.field_visit}
CHOOSE_GROUP = "Choose a village group or residential compound (the lowest level of the grid)."

# Statements of the filing path, built once: SQLAlchemy then reuses their compiled form.
GRID_DEPUTIES = (
    select(KnownGrid.level, KnownGrid.parent_id, RoutingEntry.deputy_id)
    .outerjoin(RoutingEntry, (RoutingEntry.grid_id == KnownGrid.id) & RoutingEntry.active)
    .where(KnownGrid.id == bindparam("grid_id"))
)
"""A grid and the deputies who answer for it: one row per deputy, or one row without a deputy when it has none."""


@dataclass(frozen=True)
class Filed:
    """A case just filed, with what the filing wrote beside it: the answer is shaped from these, not re-read."""

    case: Case
    deputies: list[str]
    steps: list[CaseTransition]
    photo_ids: list[str] = field(default_factory=list)
    """The photos attached in the filing's transaction."""
    recording_id: str | None = None
    """The voice note attached in the filing's transaction."""


def _filing_standing(channel: Channel, principal: Principal | None) -> Actor:
    """Who files: the villager themself, or staff or a deputy on their behalf (then the case has no owner); the
    open311 channel is the gateway's Open311 route only, filing with an integrator's API key."""
    if channel is Channel.open311 and not is_integrator(principal):
        raise Forbidden("The open311 channel is for partner systems, through the Open311 route with their API key.")
    if channel not in ON_BEHALF:
        return Actor.filer
    if principal is not None and principal.has(*STAFF_ROLES):
        return Actor.staff
    if principal is not None and channel is Channel.field_visit and principal.has(Role.deputy):
        return Actor.handler
    raise Forbidden("Only station staff (or a deputy on a field visit) file on a villager's behalf.")


async def place(runtime: CaseRuntime, data: CaseCreate, principal: Principal | None) -> str:
    """The group grid a filing names, or the one the grid service finds at its location (asked before writing).

    A location sent with a grid must lie in that grid or within CASE_MAX_POINT_DISTANCE_M of it (422 else)."""
    _filing_standing(data.channel, principal)  # who may file so, before asking anyone anything
    if data.location is None:
        assert data.grid_id is not None
        return data.grid_id
    lat, lon, reach = data.location.lat, data.location.lon, runtime.policy.max_point_distance_m
    if data.grid_id is None:
        return (await runtime.locator.resolve(lat, lon, reach)).grid_id
    await runtime.locator.check_near(data.grid_id, lat, lon, reach)
    return data.grid_id


async def submit_case(
    session: AsyncSession, runtime: CaseRuntime, data: CaseCreate, principal: Principal | None, grid_id: str
) -> tuple[Filed, str | None]:
    """File a case in `grid_id` (see `place`); returns it and, for a filer without an account, the key that lets
    them act on it. Its photos and voice note (the filer's own uploads or anonymous ones) are attached in the same
    transaction.
    """
    deputies = await group_deputies(session, grid_id)
    if deputies is None and data.grid_id is None:
        raise ServiceUnavailable("The grid of this place is not known here yet; send the case again shortly.")
    if deputies is None:
        raise Unprocessable(CHOOSE_GROUP)
    await usable_category(runtime.reference, session, data.category, data.kind)
    standing = _filing_standing(data.channel, principal)
    if data.urgent and not (principal is not None and principal.has(*STAFF_ROLES, Role.deputy)):
        raise Forbidden("Only staff or a deputy mark a case urgent; safety-hazard categories are urgent already.")
    await photos.check_attachable(session, data.photo_ids, principal.subject if principal else None)
    await recordings.check_attachable(session, data.recording_id, principal.subject if principal else None)
    owner = principal.subject if principal is not None and standing is Actor.filer else None
    filer_key = None if owner else new_filer_key()
    filer = Who(
        principal.subject if principal else "anonymous",
        frozenset({standing}),
        principal and principal.deputy_id,
        principal=principal,
    )
    fields = {
        **data.model_dump(exclude={"photo_ids", "recording_id", "location", "grid_id"}),
        "grid_id": grid_id,
        "location_lat": data.location.lat if data.location else None,
        "location_lon": data.location.lon if data.location else None,
        "submitted_by": owner,
        "filer_key_hash": hash_key(filer_key) if filer_key else None,
    }
    filed = await open_case(
        session, runtime, str(uuid.uuid4()), fields, deputies, filer, say(CHANNEL_WORDS[data.channel])
    )
    if data.photo_ids:
        await photos.attach(session, filed.case, data.photo_ids, filed.case.submitted_at)
        filed = replace(filed, photo_ids=list(data.photo_ids))
    if data.recording_id is not None:
        await recordings.attach(session, filed.case, data.recording_id, filed.case.submitted_at)
        filed = replace(filed, recording_id=data.recording_id)
    return filed, filer_key


async def group_deputies(session: AsyncSession, grid_id: str) -> list[str] | None:
    """The deputies a case filed in the group grid `grid_id` goes to (see `route`), read with the grid in one query;
    None when the grid is not known here, 422 when it is not a group grid."""
    rows = (await session.execute(GRID_DEPUTIES, {"grid_id": grid_id})).all()
    if not rows:
        return None
    if rows[0].level != "group":
        raise Unprocessable(CHOOSE_GROUP)
    deputies = sorted({row.deputy_id for row in rows if row.deputy_id is not None})
    return deputies or await route(session, rows[0].parent_id)


async def open_case(
    session: AsyncSession,
    runtime: CaseRuntime,
    case_id: str,
    fields: dict[str, Any],
    deputies: list[str],
    filer: Who,
    reason: str,
) -> Filed:
    """Store a new case, put its filing on the timeline, route it to `deputies` (see `group_deputies`), and stage
    case.case.submitted.

    Everything is decided in memory first (routing, deadlines, the status it ends in), then written by one
    INSERT a table (the case, its steps, its assignees; the case's tracking code checked by the insert itself):
    the case row is inserted with its final status, and nothing is deleted, updated or read back after it. The
    case and its steps stay out of the session (nothing else in the filing's transaction reads them).
    """
    now = now_of(runtime)
    rule = await runtime.reference.category(session, fields["category"])
    urgent = bool(fields.get("urgent")) or bool(rule and rule.urgent)
    case = Case(id=case_id, status=CaseStatus.submitted, submitted_at=now, version=0, **{**fields, "urgent": urgent})
    actor = next(iter(filer.actors))
    steps = [
        new_step(
            case, action="submit", from_status=None, to_status=CaseStatus.submitted, who=filer, actor=actor,
            reason=reason, at=now,
        )
    ]  # fmt: skip
    if deputies:
        steps.append(await first_route(session, runtime, case, now))
    else:
        case.accept_due_at, _ = await due_times(session, runtime, case.kind, case.category, urgent, now)
    await _insert_case(session, case)
    await session.execute(_INSERT_STEP, [_row(step, _STEP_COLUMNS) for step in steps])
    if deputies:
        await session.execute(_INSERT_ASSIGNEE, [{"case_id": case.id, "deputy_id": deputy} for deputy in deputies])
    await audit_step(session, case, steps[0], filer, actor)
    await emit_routed(session, runtime, case, deputies, submitted=True)
    if case.contact_phone and case.contact_preference == "sms":  # the one way the number reaches the SMS sender
        contact = CaseContactGiven(
            case_id=case.id, tracking_code=case.tracking_code, grid_id=case.grid_id, phone=case.contact_phone, at=now
        )
        await runtime.emit(session, contact, subject=case.id)
    return Filed(case, deputies, steps)


def _columns(model: type[Base]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, column, Python default) of each column of a model (constant defaults only: a key sent as None
    would override a callable one)."""
    columns = [(attribute.key, column) for attribute in sa_inspect(model).column_attrs for column in attribute.columns]
    assert all(column.default is None or column.default.is_scalar for _, column in columns)
    return tuple(
        (key, column.key, column.default.arg if column.default is not None else None) for key, column in columns
    )


_CASE_COLUMNS = _columns(Case)
_STEP_COLUMNS = _columns(CaseTransition)
_INSERT_STEP = insert(CaseTransition.__table__)
_INSERT_ASSIGNEE = insert(CaseAssignee.__table__)


def _row(item: Base, columns: tuple[tuple[str, str, Any], ...]) -> dict[str, Any]:
    """A new object's row, with the columns' Python defaults where it left them empty (as a flush would);
    the defaults are set on the object too, so that what the answer is shaped from is what was stored."""
    row = {}
    for attribute, column, default in columns:
        value = getattr(item, attribute)
        if value is None and default is not None:
            value = default
            setattr(item, attribute, value)
        row[column] = value
    return row


@cache
def _case_insert(dialect: str) -> Insert:
    """The case's INSERT, which does nothing when its tracking code is taken (a new code is drawn then)."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Case.__table__)
    return statement.on_conflict_do_nothing(index_elements=[Case.__table__.c.tracking_code])


async def _insert_case(session: AsyncSession, case: Case) -> None:
    statement = _case_insert(session.get_bind().dialect.name)
    while True:
        case.tracking_code = new_tracking_code()
        if (await session.execute(statement, _row(case, _CASE_COLUMNS))).rowcount == 1:
            return


async def open_station_issue(session: AsyncSession, runtime: CaseRuntime, payload: StationIssueRaised) -> None:
    """An issue raised at a station reception that needs follow-up becomes a case under the id the station gave."""
    if await session.get(Case, payload.case_id) is not None:
        return
    deputies = await group_deputies(session, payload.grid_id)
    if deputies is None:
        raise Unprocessable(CHOOSE_GROUP)  # not projected yet: the event is retried
    kind = payload.kind if payload.kind in CaseKind.__members__ else CaseKind.opinion
    category = await session.get(Category, payload.category)
    usable = category is not None and category.active and kind in category.kinds
    fields = {
        "kind": kind,
        "category": payload.category if usable else "other",
        "description": payload.summary,
        "grid_id": payload.grid_id,
        "channel": Channel.station,
        "submitted_by": None,
        "filer_key_hash": None,
    }
    station = Who("station", frozenset({Actor.staff}))
    route_words = STATION_ROUTES.get(payload.route, payload.route)
    reason = say("Raised at a reception session of a liaison station; to be followed up {route}", route=route_words)
    await open_case(session, runtime, payload.case_id, fields, deputies, station, reason)


async def take_station_handover(session: AsyncSession, payload: StationIssueHandedOver) -> None:
    """The words said at the reception a follow-up case came from, kept for its handlers; a villager who booked
    the reception becomes the case's filer (their GET /cases lists it, they confirm and rate it). The case is
    opened by station.issue.raised.v1, on another stream: until it is, the event is retried."""
    case = await session.get(Case, payload.case_id)
    if case is None or case.channel != Channel.station:
        raise Unprocessable("The case of this reception record is not opened yet.")
    if await session.get(StationHandover, case.id) is not None:
        return
    words = {"raised": redact(payload.raised), "discussed": redact(payload.discussed), "answer": redact(payload.answer)}
    session.add(StationHandover(case_id=case.id, record_id=payload.record_id, at=payload.at, **words))
    if payload.owner and case.submitted_by is None:
        case.submitted_by = payload.owner
