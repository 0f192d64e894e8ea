"""Case rules: filing, routing, the lifecycle as a transition table, the timeline, and who may see and do what.

Every change of status goes through `move`, which checks the table (403 for a role that may never do it, 409
for a state it cannot be done from), writes the step on the timeline (who, when, why in plain words) and
stages the matching `case.case.*.v1` event in the outbox, all in the caller's transaction.
"""

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake import photos, reference, statistics
from services.case_intake.models import (
    Case,
    CaseAssignee,
    CaseSupporter,
    CaseTransition,
    Category,
    KnownGrid,
    Referral,
    RoutingEntry,
)
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import (
    CaseCreate,
    CaseCreated,
    CaseKind,
    CasePhoto,
    CaseRead,
    CaseStatus,
    Channel,
    ConfirmBody,
    ContactRead,
    DispatchBody,
    ExtendBody,
    MergeBody,
    RejectBody,
    ReturnVisitBody,
    SimilarCase,
    SortOrder,
    TransitionRead,
    VisitMethod,
    VisitOutcome,
)
from services.case_intake.workdays import WorkCalendar
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseMediationStarted,
    CaseMerged,
    CaseNoted,
    CaseReferred,
    CaseRejected,
    CaseReopened,
    CaseResolved,
    CaseReturned,
    CaseStarted,
    CaseSubmitted,
    CaseSupported,
    CaseTransitioned,
    CaseWithdrawn,
    GridChanged,
    GridCreated,
    StationIssueRaised,
)
from shared.pagination import PageParams, paginate
from shared.types import LatLon

SUMMARY_LENGTH = 140
STAFF_ROLES = (Role.station_staff, Role.npc_office)
S = CaseStatus


class Actor(StrEnum):
    """How the caller stands to this case; the transition table is written in these terms."""

    filer = "filer"
    handler = "handler"
    staff = "staff"
    officer = "officer"
    system = "system"


PUBLIC_ROLE = {
    Actor.filer: "villager",
    Actor.handler: "deputy",
    Actor.staff: "office",
    Actor.officer: "agency",
    Actor.system: "system",
}

OPEN = frozenset(
    {S.submitted, S.assigned, S.accepted, S.in_progress, S.referred, S.mediating, S.escalated, S.reopened, S.returned}
)
ESCALATABLE = frozenset({S.assigned, S.accepted, S.in_progress, S.referred, S.mediating, S.reopened, S.escalated})
FINAL = frozenset({S.merged, S.withdrawn, S.rejected})
"""States nothing leaves. `closed` is left only when the office reopens a case (重办)."""


@dataclass(frozen=True)
class Rule:
    to: CaseStatus
    by: Mapping[Actor, frozenset[CaseStatus]]
    event: type[CaseTransitioned] | None
    verb: str


def _handlers_and_staff(*states: CaseStatus) -> dict[Actor, frozenset[CaseStatus]]:
    return {Actor.handler: frozenset(states), Actor.staff: frozenset(states)}


TRANSITIONS: dict[str, Rule] = {
    "route": Rule(S.assigned, {Actor.system: frozenset({S.submitted})}, None, "routed"),
    "dispatch": Rule(S.assigned, {Actor.staff: frozenset({S.submitted, S.returned, S.escalated})}, None, "dispatched"),
    "accept": Rule(S.accepted, _handlers_and_staff(S.assigned, S.reopened, S.escalated), CaseAccepted, "accepted"),
    "start": Rule(S.in_progress, _handlers_and_staff(S.accepted, S.reopened, S.escalated), CaseStarted, "started"),
    "refer": Rule(
        S.referred, _handlers_and_staff(S.accepted, S.in_progress, S.mediating, S.escalated), CaseReferred, "referred"
    ),
    "accept_reply": Rule(S.in_progress, _handlers_and_staff(S.referred, S.escalated), CaseStarted, "given an answer"),
    "mediate": Rule(
        S.mediating, _handlers_and_staff(S.accepted, S.in_progress, S.escalated), CaseMediationStarted, "mediated"
    ),
    "resolve": Rule(
        S.resolved, _handlers_and_staff(S.accepted, S.in_progress, S.mediating, S.escalated), CaseResolved, "resolved"
    ),
    "confirm": Rule(
        S.closed, {Actor.filer: frozenset({S.resolved}), Actor.staff: frozenset({S.resolved})}, CaseClosed, "closed"
    ),
    "auto_close": Rule(S.closed, {Actor.system: frozenset({S.resolved})}, CaseClosed, "closed"),
    "reopen": Rule(
        S.reopened,
        {Actor.filer: frozenset({S.resolved}), Actor.staff: frozenset({S.resolved, S.closed})},
        CaseReopened,
        "reopened",
    ),
    "return": Rule(S.returned, {Actor.handler: frozenset({S.assigned, S.accepted})}, CaseReturned, "returned"),
    "escalate": Rule(
        S.escalated, {Actor.system: ESCALATABLE | {S.submitted}, Actor.staff: ESCALATABLE}, CaseEscalated, "escalated"
    ),
    "merge": Rule(S.merged, {Actor.staff: OPEN - {S.referred, S.mediating}}, CaseMerged, "merged"),
    "withdraw": Rule(S.withdrawn, {Actor.filer: OPEN, Actor.staff: OPEN}, CaseWithdrawn, "withdrawn"),
    "reject": Rule(
        S.rejected,
        {
            Actor.handler: frozenset({S.assigned, S.accepted, S.in_progress, S.escalated, S.reopened}),
            Actor.staff: frozenset(
                {S.submitted, S.assigned, S.accepted, S.in_progress, S.escalated, S.reopened, S.returned}
            ),
        },
        CaseRejected,
        "rejected",
    ),
}
VERB_OF = {
    "route": "route",
    "dispatch": "dispatch",
    "accept": "accept",
    "start": "start work on",
    "refer": "refer",
    "accept_reply": "accept an answer on",
    "mediate": "mediate",
    "resolve": "resolve",
    "confirm": "confirm",
    "auto_close": "close",
    "reopen": "reopen",
    "return": "return",
    "escalate": "escalate",
    "merge": "merge",
    "withdraw": "withdraw",
    "reject": "reject",
}
CHANNEL_WORDS = {
    Channel.pwa: "Filed in the app",
    Channel.phone: "Filed by station staff from a phone call",
    Channel.walk_in: "Filed by station staff for a villager who came in",
    Channel.field_visit: "Filed by a deputy on a field visit",
    Channel.station: "Raised at a reception session of a liaison station",
    Channel.open311: "Filed through a partner system (Open311)",
}
STATION_ROUTES = {
    "township": "by the township",
    "city_organs": "by the city's organs",
    "suggestion": "as a deputy's suggestion",
}
ON_BEHALF = {Channel.phone, Channel.walk_in, Channel.station, Channel.field_visit}
VISIT_WORDS = {VisitMethod.phone: "by phone", VisitMethod.in_person: "in person"}
RATING_WORDS = {"satisfied": "satisfied", "basically_satisfied": "basically satisfied", "unsatisfied": "unsatisfied"}
INTERNAL = frozenset({"note"})
"""Timeline steps for officials only: never shown to the villager, on the tracking-code view or to agencies."""
PHONE_LIKE = re.compile(r"(?<!\d)(\+?\d[\d -]{6,}\d)(?!\d)")
CHOOSE_GROUP = "Choose a village group or residential compound (the lowest level of the grid)."

# Statements of the filing path, built once: SQLAlchemy then reuses their compiled form.
TRACKING_CODE_TAKEN = select(Case.id).where(Case.tracking_code == bindparam("code"))
GRID_DEPUTIES = (
    select(KnownGrid.level, KnownGrid.parent_id, RoutingEntry.deputy_id)
    .outerjoin(RoutingEntry, (RoutingEntry.grid_id == KnownGrid.id) & RoutingEntry.active)
    .where(KnownGrid.id == bindparam("grid_id"))
)
"""A grid and the deputies who answer for it: one row per deputy, or one row without a deputy when it has none."""


# --- pure rules --------------------------------------------------------------------------------------------


def plan(action: str, status: str, actors: Iterable[Actor]) -> tuple[CaseStatus, Actor]:
    """The state `action` leads to and the standing it is done in; 403 if no standing may, 409 if not from here."""
    rule = TRANSITIONS[action]
    standing = [actor for actor in rule.by if actor in set(actors)]
    if not standing:
        raise Forbidden(f"You may not {VERB_OF[action]} this case.")
    for actor in standing:
        if status in rule.by[actor]:
            return rule.to, actor
    raise Conflict(f"A case that is {status} cannot be {rule.verb}.", current_status=status, action=action)


def new_tracking_code(now: datetime) -> str:
    """Short and readable aloud over the phone, e.g. SS-2611-48213."""
    return f"SS-{now:%y%m}-{secrets.randbelow(100_000):05d}"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_name(name: str | None) -> str | None:
    return name[0] + "*" * max(len(name) - 1, 1) if name else None


def scrub(words: str) -> str:
    """Text that goes public or into events: phone numbers (and other long digit runs) masked."""
    return PHONE_LIKE.sub(lambda match: mask_phone(re.sub(r"\D", "", match.group(1))) or "", words)


def with_note(sentence: str, note: str | None) -> str:
    """The service's sentence, then the person's own words (phone numbers masked): a timeline step's reason."""
    return f"{sentence}: {scrub(note)}"[:500] if note else sentence[:500]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- who is asking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    subject: str
    actors: frozenset[Actor]
    deputy_id: str | None = None

    @property
    def sees_contact(self) -> bool:
        return bool(self.actors & {Actor.staff, Actor.handler, Actor.filer})


SYSTEM = Who("system", frozenset({Actor.system}))
ANONYMOUS_FILER = Who("anonymous-filer", frozenset({Actor.filer}))


async def assignees(session: AsyncSession, case_id: str) -> list[str]:
    query = select(CaseAssignee.deputy_id).where(CaseAssignee.case_id == case_id).order_by(CaseAssignee.deputy_id)
    return list((await session.execute(query)).scalars())


async def who(session: AsyncSession, case: Case, principal: Principal) -> Who:
    """The caller's standing on this case: filer, handler (a deputy it is routed to), staff, officer."""
    actors: set[Actor] = set()
    if principal.has(*STAFF_ROLES):
        actors.add(Actor.staff)
    if case.submitted_by and case.submitted_by == principal.subject:
        actors.add(Actor.filer)
    if principal.deputy_id and principal.has(Role.deputy) and principal.deputy_id in await assignees(session, case.id):
        actors.add(Actor.handler)
    if principal.organisation and principal.has(Role.agency_officer):
        query = select(Referral.id).where(Referral.case_id == case.id, Referral.organisation == principal.organisation)
        if (await session.execute(query.limit(1))).first():
            actors.add(Actor.officer)
    return Who(principal.subject, frozenset(actors), principal.deputy_id if Actor.handler in actors else None)


def require(who_: Who, *actors: Actor, doing: str) -> None:
    if not who_.actors.intersection(actors):
        raise Forbidden(f"You may not {doing}.")


async def deputy_grids(session: AsyncSession, deputy_id: str) -> set[str]:
    """The grids a deputy answers for, and every grid below them."""
    roots = select(RoutingEntry.grid_id).where(RoutingEntry.deputy_id == deputy_id, RoutingEntry.active)
    frontier = set((await session.execute(roots)).scalars())
    seen = set(frontier)
    while frontier:
        children = select(KnownGrid.id).where(KnownGrid.parent_id.in_(frontier))
        frontier = set((await session.execute(children)).scalars()) - seen
        seen |= frontier
    return seen


async def _supports(session: AsyncSession, case_id: str, subject: str) -> bool:
    query = select(CaseSupporter.id).where(CaseSupporter.case_id == case_id, CaseSupporter.supporter == subject)
    return (await session.execute(query)).first() is not None


async def authorize_read(session: AsyncSession, case: Case, principal: Principal) -> Who:
    """Staff, the filer, supporters, the deputies it is routed to or whose grids hold it, officers it went to."""
    standing = await who(session, case, principal)
    if standing.actors or await _supports(session, case.id, principal.subject):
        return standing
    if (
        principal.deputy_id
        and principal.has(Role.deputy)
        and case.grid_id in await deputy_grids(session, principal.deputy_id)
    ):
        return standing
    raise Forbidden(
        "Only the filer, supporters, the deputies handling it, the office and agencies it went to may see it."
    )


# --- the timeline and the moves -------------------------------------------------------------------------------


def record(
    session: AsyncSession,
    case: Case,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    who_: Who,
    actor: Actor,
    reason: str,
    at: datetime,
    said: str | None = None,
) -> CaseTransition:
    """Write a step; `reason` is its plain sentence (see with_note), `said` the person's own words in it."""
    step = CaseTransition(
        id=str(uuid.uuid4()),
        case_id=case.id,
        seq=case.version,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=who_.subject,
        actor_role=PUBLIC_ROLE[actor],
        actor_deputy_id=who_.deputy_id if actor is Actor.handler else None,
        reason=reason[:500],
        note=scrub(said)[:1000] if said else None,
        at=at,
    )
    session.add(step)
    case.version = (case.version or 0) + 1
    return step


def note(
    session: AsyncSession,
    case: Case,
    action: str,
    who_: Who,
    actor: Actor,
    reason: str,
    at: datetime,
    said: str | None = None,
) -> None:
    """A step on the timeline that does not change the status (a "me too", an answer, a chase, a note)."""
    record(
        session,
        case,
        action=action,
        from_status=case.status,
        to_status=case.status,
        who_=who_,
        actor=actor,
        reason=reason,
        at=at,
        said=said,
    )


def standing_for_note(who_: Who, *preferred: Actor) -> Actor:
    return next((actor for actor in preferred if actor in who_.actors), Actor.system)


async def move(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    action: str,
    who_: Who,
    reason: str,
    at: datetime,
    said: str | None = None,
    **event_fields: object,
) -> CaseTransition:
    """Change the status by the table, put it on the timeline and stage the event; returns the step."""
    to, actor = plan(action, case.status, who_.actors)
    from_status = case.status
    case.status = to
    step = record(
        session,
        case,
        action=action,
        from_status=from_status,
        to_status=to,
        who_=who_,
        actor=actor,
        reason=reason,
        at=at,
        said=said,
    )
    event = TRANSITIONS[action].event
    if event is not None:
        payload = event(
            case_id=case.id,
            tracking_code=case.tracking_code,
            grid_id=case.grid_id,
            kind=case.kind,
            category=case.category,
            from_status=from_status,
            to_status=to,
            deputy_ids=await assignees(session, case.id),
            actor_deputy_id=who_.deputy_id if actor is Actor.handler else None,
            at=at,
            note=scrub(reason),
            **event_fields,
        )
        await runtime.emit(session, payload, subject=case.id)
    return step


def check(case: Case, action: str, who_: Who) -> Actor:
    """Refuse early (403/409) before an action writes anything else."""
    return plan(action, case.status, who_.actors)[1]


def now_of(runtime: CaseRuntime) -> datetime:
    return runtime.clock.now()


async def calendar(session: AsyncSession, runtime: CaseRuntime) -> WorkCalendar:
    """The working-day calendar, from the runtime's reference cache (re-read after a short TTL)."""
    return await runtime.reference.calendar(session, runtime.policy)


# --- filing and routing ----------------------------------------------------------------------------------------


async def route(session: AsyncSession, grid_id: str | None) -> list[str]:
    """The deputies of the grid; if it has none, those of its parent, up to the township's grid head."""
    current = grid_id
    while current:
        query = select(RoutingEntry.deputy_id).where(RoutingEntry.grid_id == current, RoutingEntry.active)
        deputies = sorted(set((await session.execute(query)).scalars()))
        if deputies:
            return deputies
        grid = await session.get(KnownGrid, current)
        current = grid.parent_id if grid else None
    return []


async def township_heads(session: AsyncSession, grid_id: str) -> list[str]:
    """The grid heads (网格长) of the township above a grid."""
    current: str | None = grid_id
    while current:
        grid = await session.get(KnownGrid, current)
        if grid is None:
            return []
        if grid.level == "township":
            query = select(RoutingEntry.deputy_id).where(
                RoutingEntry.grid_id == grid.id, RoutingEntry.active, RoutingEntry.role == "grid_head"
            )
            return sorted(set((await session.execute(query)).scalars()))
        current = grid.parent_id
    return []


async def _unique_tracking_code(session: AsyncSession, now: datetime) -> str:
    while True:
        code = new_tracking_code(now)
        if not (await session.execute(TRACKING_CODE_TAKEN, {"code": code})).first():
            return code


def _filing_standing(channel: Channel, principal: Principal | None) -> Actor:
    """Who files: the villager themself, or staff or a deputy on their behalf (then the case has no owner)."""
    if channel not in ON_BEHALF:
        return Actor.filer
    if principal is not None and principal.has(*STAFF_ROLES):
        return Actor.staff
    if principal is not None and channel is Channel.field_visit and principal.has(Role.deputy):
        return Actor.handler
    raise Forbidden("Only station staff (or a deputy on a field visit) file on a villager's behalf.")


async def _deadlines_from(session: AsyncSession, runtime: CaseRuntime, case: Case, now: datetime) -> None:
    """Start the accept and resolve clocks of a case that has just reached its deputies."""
    case.assigned_at = now
    due = await _due_times(session, runtime, case.kind, case.category, case.urgent, now)
    case.accept_due_at, case.resolve_due_at = due
    case.due_kind = "accept"


async def _due_times(
    session: AsyncSession, runtime: CaseRuntime, kind: str, category: str, urgent: bool, now: datetime
) -> tuple[datetime, datetime]:
    rule = await runtime.reference.category(session, category)
    resolve_days = rule.resolve_working_days if rule else 5
    days = await calendar(session, runtime)
    return runtime.policy.due_times(days, now, kind=kind, resolve_working_days=resolve_days, urgent=urgent)


@dataclass(frozen=True)
class Filed:
    """A case just filed, with what the filing wrote beside it: the answer is shaped from these, not re-read."""

    case: Case
    deputies: list[str]
    steps: list[CaseTransition]
    photos: list[CasePhoto] = field(default_factory=list)


async def place(runtime: CaseRuntime, data: CaseCreate) -> str:
    """The group grid a filing names, or the one the grid service finds at its location (asked before writing)."""
    if data.grid_id is not None:
        return data.grid_id
    assert data.location is not None
    found = await runtime.locator.resolve(data.location.lat, data.location.lon, runtime.policy.max_point_distance_m)
    return found.grid_id


async def submit_case(
    session: AsyncSession, runtime: CaseRuntime, data: CaseCreate, principal: Principal | None, grid_id: str
) -> tuple[Filed, str | None]:
    """File a case in `grid_id` (see `place`); returns it and, for a filer without an account, the key that lets
    them act on it. Its photos (the filer's own uploads or anonymous ones) are attached in the same transaction.
    """
    deputies = await _group_deputies(session, grid_id)
    if deputies is None and data.grid_id is None:
        raise ServiceUnavailable("The grid of this place is not known here yet; send the case again shortly.")
    if deputies is None:
        raise Unprocessable(CHOOSE_GROUP)
    await reference.usable_category(runtime.reference, session, data.category, data.kind)
    standing = _filing_standing(data.channel, principal)
    if data.urgent and not (principal is not None and principal.has(*STAFF_ROLES, Role.deputy)):
        raise Forbidden("Only staff or a deputy mark a case urgent; safety-hazard categories are urgent already.")
    await photos.check_attachable(session, data.photo_ids, principal.subject if principal else None)
    owner = principal.subject if principal is not None and standing is Actor.filer else None
    filer_key = None if owner else secrets.token_urlsafe(24)
    filer = Who(
        principal.subject if principal else "anonymous", frozenset({standing}), principal and principal.deputy_id
    )
    fields = {
        **data.model_dump(exclude={"photo_ids", "location", "grid_id"}),
        "grid_id": grid_id,
        "location_lat": data.location.lat if data.location else None,
        "location_lon": data.location.lon if data.location else None,
        "submitted_by": owner,
        "filer_key_hash": hash_key(filer_key) if filer_key else None,
    }
    filed = await open_case(session, runtime, str(uuid.uuid4()), fields, deputies, filer, CHANNEL_WORDS[data.channel])
    if not data.photo_ids:
        return filed, filer_key
    await photos.attach(session, filed.case, data.photo_ids, filed.case.submitted_at)
    return replace(filed, photos=await photos.case_photos(session, filed.case.id)), filer_key


async def _group_deputies(session: AsyncSession, grid_id: str) -> list[str] | None:
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
    fields: dict,
    deputies: list[str],
    filer: Who,
    reason: str,
) -> Filed:
    """Store a new case, put its filing on the timeline, route it to `deputies` (see `_group_deputies`), and stage
    case.case.submitted.

    Everything is decided in memory first (routing, deadlines, the status it ends in) and written by one flush:
    the case row is inserted with its final status, and nothing is deleted or updated after it.
    """
    now = now_of(runtime)
    rule = await runtime.reference.category(session, fields["category"])
    urgent = bool(fields.get("urgent")) or bool(rule and rule.urgent)
    accept_due_at, _ = await _due_times(session, runtime, fields["kind"], fields["category"], urgent, now)
    tracking_code = await _unique_tracking_code(session, now)
    case = Case(
        id=case_id,
        tracking_code=tracking_code,
        status=S.submitted,
        submitted_at=now,
        accept_due_at=accept_due_at,
        version=0,
        **{**fields, "urgent": urgent},
    )
    session.add(case)
    actor = next(iter(filer.actors))
    steps = [
        record(
            session, case, action="submit", from_status=None, to_status=S.submitted, who_=filer, actor=actor,
            reason=reason, at=now,
        )
    ]  # fmt: skip
    if deputies:
        steps.append(
            await _assign(
                session, runtime, case, deputies, "route", SYSTEM, "Sent to the deputies of the grid", now, new=True
            )
        )
    await session.flush()
    await runtime.emit(session, _submitted_event(case, deputies, now), subject=case.id)
    return Filed(case, deputies, steps)


async def on_station_issue_raised(session: AsyncSession, runtime: CaseRuntime, payload: StationIssueRaised) -> None:
    """An issue raised at a station reception that needs follow-up becomes a case under the id the station gave."""
    if await session.get(Case, payload.case_id) is not None:
        return
    deputies = await _group_deputies(session, payload.grid_id)
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
    reason = f"{CHANNEL_WORDS[Channel.station]}; to be followed up {route_words}"
    await open_case(session, runtime, payload.case_id, fields, deputies, station, reason)


def _submitted_event(case: Case, deputies: list[str], now: datetime) -> CaseSubmitted:
    return CaseSubmitted(
        case_id=case.id,
        tracking_code=case.tracking_code,
        grid_id=case.grid_id,
        kind=case.kind,
        category=case.category,
        channel=case.channel,
        summary=scrub(case.description[:SUMMARY_LENGTH]),
        submitted_at=now,
        accept_due_at=case.accept_due_at,
        assigned_deputy_ids=deputies,
        urgent=case.urgent,
    )


async def _assign(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    deputies: list[str],
    action: str,
    who_: Who,
    reason: str,
    now: datetime,
    *,
    new: bool = False,
    said: str | None = None,
) -> CaseTransition:
    """Route (system) or dispatch (office) the case to `deputies`: replaces those it had, restarts the clocks.

    `new`: the case is being filed in this transaction and has no assignees to replace.
    Returns the step it put on the timeline.
    """
    check(case, action, who_)
    if not new:
        await session.execute(delete(CaseAssignee).where(CaseAssignee.case_id == case.id))
    session.add_all([CaseAssignee(case_id=case.id, deputy_id=deputy_id) for deputy_id in deputies])
    await _deadlines_from(session, runtime, case, now)
    return await move(session, runtime, case, action, who_, reason, now, said=said)


async def route_waiting_cases(session: AsyncSession, runtime: CaseRuntime) -> None:
    """Cases filed where no deputy answered yet go to the deputies the grid has now."""
    waiting = (await session.execute(select(Case).where(Case.status == S.submitted))).scalars().all()
    now = now_of(runtime)
    for case in waiting:
        deputies = await route(session, case.grid_id)
        if deputies:
            await _assign(session, runtime, case, deputies, "route", SYSTEM, "Sent to the deputies of the grid", now)
            await runtime.emit(session, _assigned_event(case, deputies), subject=case.id)


def _assigned_event(case: Case, deputies: list[str]) -> CaseAssigned:
    return CaseAssigned(
        case_id=case.id,
        tracking_code=case.tracking_code,
        grid_id=case.grid_id,
        kind=case.kind,
        category=case.category,
        summary=scrub(case.description[:SUMMARY_LENGTH]),
        submitted_at=case.submitted_at,
        accept_due_at=case.accept_due_at,
        assigned_deputy_ids=deputies,
        urgent=case.urgent,
    )


async def dispatch(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, data: DispatchBody) -> None:
    """The office sends a returned (or unrouted) case on: to another grid's deputies, or to named deputies."""
    check(case, "dispatch", who_)
    if data.grid_id is not None:
        grid = await session.get(KnownGrid, data.grid_id)
        if grid is None or grid.level != "group":
            raise Unprocessable("Choose a village group or residential compound.", field="grid_id")
        case.grid_id = grid.id
    deputies = sorted(set(data.deputy_ids or await route(session, case.grid_id)))
    if not deputies:
        raise Unprocessable("No deputy answers for this grid yet: name the deputies.", field="deputy_ids")
    now = now_of(runtime)
    reason = with_note("Sent by the office to the deputies who answer for it", data.note)
    await _assign(session, runtime, case, deputies, "dispatch", who_, reason, now, said=data.note)
    await runtime.emit(session, _assigned_event(case, deputies), subject=case.id)


# --- handling -------------------------------------------------------------------------------------------------


async def accept(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, note_: str) -> None:
    actor = check(case, "accept", who_)
    now = now_of(runtime)
    case.accepted_at = case.accepted_at or now
    case.due_kind = "resolve"
    if case.resolve_due_at is None:
        await _deadlines_from(session, runtime, case, now)
        case.due_kind = "resolve"
    words = "Accepted by a deputy, who will handle it" if actor is Actor.handler else "Accepted by the office"
    await move(session, runtime, case, "accept", who_, with_note(words, note_), now, said=note_)


async def start(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, note_: str) -> None:
    check(case, "start", who_)
    now = now_of(runtime)
    case.accepted_at = case.accepted_at or now
    case.due_kind = "resolve"
    await move(session, runtime, case, "start", who_, with_note("Work on it started", note_), now, said=note_)


async def mediate(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, note_: str) -> None:
    check(case, "mediate", who_)
    if case.kind != "dispute":
        raise Conflict("Only a dispute is mediated.", current_status=case.status, action="mediate")
    now = now_of(runtime)
    case.accepted_at = case.accepted_at or now
    case.due_kind = "resolve"
    words = with_note("Mediation between the parties began", note_)
    await move(session, runtime, case, "mediate", who_, words, now, said=note_)


async def close_referrals(session: AsyncSession, case: Case, status: str = "cancelled") -> None:
    await session.execute(
        update(Referral)
        .where(Referral.case_id == case.id, Referral.status.in_(("open", "answered")))
        .values(status=status)
    )


async def resolve(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, resolution: str) -> None:
    check(case, "resolve", who_)
    now = now_of(runtime)
    case.resolution = scrub(resolution)
    case.resolved_at, case.closed_at, case.due_kind = now, None, None
    case.accepted_at = case.accepted_at or now
    await close_referrals(session, case)
    await move(session, runtime, case, "resolve", who_, with_note("Resolved", case.resolution), now, said=resolution)


async def confirm(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, data: ConfirmBody) -> None:
    actor = check(case, "confirm", who_)
    if data.return_visit and actor is not Actor.staff:
        raise Forbidden("Only station staff record a return visit.")
    rating = RATING_WORDS[data.rating]
    if data.return_visit or actor is Actor.staff:
        words = f"On a return visit (回访) the villager said it was solved and rated it: {rating}"
    else:
        words = f"The villager confirmed it was solved and rated it: {rating}"
    await _close_rated(session, runtime, case, who_, data.rating, data.comment, words)


async def _close_rated(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, rating: str, comment: str, words: str
) -> None:
    now = now_of(runtime)
    case.rating, case.rating_comment, case.closed_at = rating, scrub(comment) or None, now
    reason = with_note(words, case.rating_comment)
    await move(session, runtime, case, "confirm", who_, reason, now, said=case.rating_comment, rating=rating)


async def auto_close(session: AsyncSession, runtime: CaseRuntime, case: Case, days: int) -> None:
    now = now_of(runtime)
    case.closed_at = now
    reason = f"Closed: no answer from the villager within {days} days of the resolution"
    await move(session, runtime, case, "auto_close", SYSTEM, reason, now)


async def reopen(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, reason: str) -> None:
    actor = check(case, "reopen", who_)
    words = "Reopened by the villager: not solved" if actor is Actor.filer else "Reopened by the office to be redone"
    await _reopen(session, runtime, case, who_, with_note(words, reason), reason)


async def _reopen(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, words: str, said: str | None
) -> None:
    now = now_of(runtime)
    case.rating = case.rating_comment = case.resolved_at = case.closed_at = None
    await _deadlines_from(session, runtime, case, now)
    await move(session, runtime, case, "reopen", who_, words, now, said=said)


async def return_visit(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, data: ReturnVisitBody
) -> None:
    """回访: staff ask a villager who cannot use the app (by phone or in person) and record the answer for them:
    solved, closing the case with the villager's rating, or not solved, reopening it."""
    require(who_, Actor.staff, doing="record a return visit")
    if case.status != S.resolved:
        raise Conflict("A return visit is made on a resolved case.", current_status=case.status, action="return_visit")
    staff = Who(who_.subject, frozenset({Actor.staff}))
    visit = f"Return visit (回访) {VISIT_WORDS[data.method]} by the office"
    if data.outcome is VisitOutcome.confirmed:
        assert data.rating is not None
        words = f"{visit}: the villager said it was solved and rated it: {RATING_WORDS[data.rating]}"
        await _close_rated(session, runtime, case, staff, data.rating, data.comment, words)
    else:
        words = with_note(f"{visit}: the villager said it is not solved, so it was reopened", data.comment)
        await _reopen(session, runtime, case, staff, words, data.comment)


async def return_visits_due(session: AsyncSession, runtime: CaseRuntime, params: PageParams) -> tuple[list[Case], int]:
    """Resolutions waiting for the villager's word, oldest first: at once when the case was filed on their
    behalf (they have no app), else once `return_visit_days` passed without a rating."""
    unrated_since = now_of(runtime) - timedelta(days=runtime.policy.return_visit_days)
    no_app = Case.submitted_by.is_(None) & Case.channel.in_(ON_BEHALF)
    query = (
        select(Case)
        .where(Case.status == S.resolved, or_(no_app, Case.resolved_at <= unrated_since))
        .order_by(Case.resolved_at, Case.id)
    )
    return await paginate(session, query, params)


async def return_case(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, reason: str) -> None:
    """A deputy returns a wrongly assigned case (退单) within the policy's working days, with a reason."""
    check(case, "return", who_)
    now = now_of(runtime)
    days = await calendar(session, runtime)
    limit = days.add_working_days(case.assigned_at or case.submitted_at, runtime.policy.return_working_days)
    if now >= limit:
        raise Conflict("The time to return this case has passed; ask the office to dispatch it again.")
    case.public_reason, case.due_kind = scrub(reason), None
    words = with_note("Returned to the office as not for these deputies; it will be sent on", case.public_reason)
    await move(session, runtime, case, "return", who_, words, now, said=case.public_reason)


async def withdraw(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, reason: str) -> None:
    actor = check(case, "withdraw", who_)
    now = now_of(runtime)
    case.public_reason, case.due_kind = scrub(reason) or None, None
    await close_referrals(session, case)
    words = "Withdrawn by the villager" if actor is Actor.filer else "Withdrawn by the office at the villager's request"
    reason = with_note(words, case.public_reason)
    await move(session, runtime, case, "withdraw", who_, reason, now, said=case.public_reason)


async def reject(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, data: RejectBody) -> None:
    check(case, "reject", who_)
    now = now_of(runtime)
    case.public_reason, case.out_of_scope, case.due_kind = scrub(data.reason), data.out_of_scope, None
    await close_referrals(session, case)
    words = with_note("Not taken up", case.public_reason)
    if data.out_of_scope:
        words = f"{words}. {reference.where_to_go(data.out_of_scope)}"
    await move(session, runtime, case, "reject", who_, words, now, said=case.public_reason)


async def escalate(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, reason: str) -> None:
    """督办: first to the township's grid head (added to those handling it), then to the NPC office."""
    check(case, "escalate", who_)
    if case.escalation_level >= 2:
        raise Conflict("The NPC office already supervises this case.", current_status=case.status, action="escalate")
    now = now_of(runtime)
    case.escalation_level += 1
    if case.escalation_level == 1:
        heads = [
            head
            for head in await township_heads(session, case.grid_id)
            if head not in await assignees(session, case.id)
        ]
        session.add_all([CaseAssignee(case_id=case.id, deputy_id=head) for head in heads])
        await session.flush()
        words = (
            "Escalated to the township grid head (督办)"
            if heads or await _has_head(session, case)
            else ("Escalated (督办): the township has no grid head yet, the NPC office is told")
        )
    else:
        words = "Escalated to the NPC office, which now supervises it (督办)"
    await move(session, runtime, case, "escalate", who_, with_note(words, reason), now, said=reason)


async def escalate_unrouted(session: AsyncSession, runtime: CaseRuntime, case: Case) -> None:
    """A case that reached no deputy by its accept deadline (no one answers for its grid, its village or its
    township) goes to the NPC office, which dispatches it: it never waits unseen."""
    case.escalation_level = 2
    words = "No deputy answers for this grid, its village or its township yet: sent to the NPC office (督办)"
    await move(session, runtime, case, "escalate", SYSTEM, words, now_of(runtime))


async def _has_head(session: AsyncSession, case: Case) -> bool:
    return bool(set(await township_heads(session, case.grid_id)) & set(await assignees(session, case.id)))


async def extend(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, data: ExtendBody) -> None:
    """The one extension of the resolve deadline, asked before it passes."""
    require(who_, Actor.handler, Actor.staff, doing="extend this case's deadline")
    now = now_of(runtime)
    if case.due_kind != "resolve" or case.resolve_due_at is None or now >= case.resolve_due_at:
        raise Conflict("Only a running resolve deadline that has not passed is extended.", current_status=case.status)
    if case.extended:
        raise Conflict("This case had its one extension already.", current_status=case.status)
    if data.working_days > runtime.policy.max_extension_working_days:
        raise Unprocessable("The extension is longer than the policy allows.", field="working_days")
    days = await calendar(session, runtime)
    case.resolve_due_at, case.extended = days.after_deadline(case.resolve_due_at, data.working_days), True
    words = f"Deadline extended by {data.working_days} working days"
    note(
        session,
        case,
        "extend",
        who_,
        standing_for_note(who_, Actor.handler, Actor.staff),
        with_note(words, data.reason),
        now,
        said=data.reason,
    )


# --- photos ---------------------------------------------------------------------------------------------------


async def add_photos(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, photo_ids: list[str]) -> None:
    """Deputies handling the case or staff add photos (a field visit's evidence); a note on the timeline."""
    require(who_, Actor.handler, Actor.staff, doing="add photos to this case")
    if case.status not in OPEN | {S.resolved}:
        raise Conflict(f"Photos are not added to a case that is {case.status}.", current_status=case.status)
    await photos.check_attachable(session, photo_ids, who_.subject)
    now = now_of(runtime)
    await photos.attach(session, case, photo_ids, now)
    actor = standing_for_note(who_, Actor.handler, Actor.staff)
    count = f"{len(photo_ids)} photo{'s' if len(photo_ids) > 1 else ''}"
    words = f"{count} added by {'a deputy' if actor is Actor.handler else 'the office'}"
    note(session, case, "photos", who_, actor, words, now)


async def authorize_photo(
    session: AsyncSession,
    stored: photos.Stored,
    principal: Principal | None,
    *,
    filer_key: str | None,
    tracking_code: str | None,
) -> None:
    """Whoever may read the photo's case (its tracking code or filer key does, as for the case); an unattached
    photo only its signed-in uploader. Anyone else is told it does not exist."""
    if stored.case_id is None:
        if principal is None or stored.uploaded_by != principal.subject:
            raise photos.hidden()
        return
    case = await get_case(session, stored.case_id)
    if tracking_code is not None and hmac.compare_digest(tracking_code, case.tracking_code):
        return
    if filer_key and case.filer_key_hash and hmac.compare_digest(case.filer_key_hash, hash_key(filer_key)):
        return
    if principal is not None:
        try:
            await authorize_read(session, case, principal)
            return
        except Forbidden:
            pass
    raise photos.hidden()


# --- internal notes -------------------------------------------------------------------------------------------


async def add_note(session: AsyncSession, runtime: CaseRuntime, case: Case, who_: Who, words: str) -> None:
    """An internal note (内部备注) by a deputy handling the case or the office: on the timeline, the status as it
    is, seen by officials only. Its event carries ids only, so that the words stay in this service."""
    require(who_, Actor.handler, Actor.staff, doing="write a note on this case")
    actor = standing_for_note(who_, Actor.handler, Actor.staff)
    now = now_of(runtime)
    author = "a deputy" if actor is Actor.handler else "the office"
    note(session, case, "note", who_, actor, with_note(f"Note by {author}", words), now, words)
    payload = CaseNoted(
        case_id=case.id,
        tracking_code=case.tracking_code,
        grid_id=case.grid_id,
        deputy_ids=await assignees(session, case.id),
        actor_deputy_id=who_.deputy_id if actor is Actor.handler else None,
        at=now,
    )
    await runtime.emit(session, payload, subject=case.id)


def sees_internal(principal: Principal | None) -> bool:
    """Internal notes are for the officials who may read the case: its deputies and the office."""
    return principal is not None and principal.has(*STAFF_ROLES, Role.deputy)


# --- duplicates, "me too" -------------------------------------------------------------------------------------


async def supporter_count(session: AsyncSession, case_id: str) -> int:
    query = select(func.count()).select_from(CaseSupporter).where(CaseSupporter.case_id == case_id)
    return (await session.execute(query)).scalar_one()


async def support(
    session: AsyncSession, runtime: CaseRuntime, case: Case, principal: Principal | None, words: str
) -> int:
    """A villager says "me too" instead of filing again; returns the number of supporters."""
    if case.status not in OPEN:
        raise Conflict("Only an open case can be supported.", current_status=case.status)
    subject = principal.subject if principal else None
    if subject and subject == case.submitted_by:
        raise Conflict("You filed this case yourself.")
    if subject and await _supports(session, case.id, subject):
        raise Conflict("You support this case already.")
    now = now_of(runtime)
    session.add(CaseSupporter(id=str(uuid.uuid4()), case_id=case.id, supporter=subject, filer=False, at=now))
    villager = Who(subject or "anonymous", frozenset({Actor.filer}))
    note(
        session, case, "support", villager, Actor.filer, with_note('Another villager said "me too"', words), now, words
    )
    await session.flush()
    count = await supporter_count(session, case.id)
    await runtime.emit(session, CaseSupported(case_id=case.id, grid_id=case.grid_id, supporters=count, at=now))
    return count


async def merge(
    session: AsyncSession, runtime: CaseRuntime, case: Case, target: Case, who_: Who, data: MergeBody
) -> None:
    """Merge a duplicate into `target`: its filer and every supporter become the target's supporters."""
    check(case, "merge", who_)
    if target.id == case.id:
        raise Unprocessable("A case cannot be merged into itself.", field="into_case_id")
    if target.status not in OPEN | {S.resolved}:
        raise Conflict(f"The case to merge into is {target.status}.", current_status=target.status, action="merge")
    now = now_of(runtime)
    joined = await _move_supporters(session, case, target, now)
    case.merged_into_id, case.due_kind = target.id, None
    await close_referrals(session, case)
    words = with_note(
        f"Merged into case {target.tracking_code} about the same matter; supporters moved there", data.note
    )
    await move(session, runtime, case, "merge", who_, words, now, said=data.note, into_case_id=target.id)
    actor = standing_for_note(who_, Actor.staff)
    note(
        session,
        target,
        "merge_in",
        who_,
        actor,
        f"A case about the same matter joined this one; {joined} supporters came with it",
        now,
    )
    await session.flush()
    count = await supporter_count(session, target.id)
    await runtime.emit(session, CaseSupported(case_id=target.id, grid_id=target.grid_id, supporters=count, at=now))


async def _move_supporters(session: AsyncSession, case: Case, target: Case, now: datetime) -> int:
    """Re-home the duplicate's supporters and its filer on the target; one row per known villager."""
    rows = (await session.execute(select(CaseSupporter).where(CaseSupporter.case_id == case.id))).scalars().all()
    query = select(CaseSupporter.supporter).where(
        CaseSupporter.case_id == target.id, CaseSupporter.supporter.isnot(None)
    )
    known = set((await session.execute(query)).scalars()) | ({target.submitted_by} if target.submitted_by else set())
    joined = 0
    for row in rows:
        if row.supporter is not None and row.supporter in known:
            await session.delete(row)
            continue
        row.case_id = target.id
        if row.supporter is not None:
            known.add(row.supporter)
        joined += 1
    if case.submitted_by is None or case.submitted_by not in known:
        session.add(
            CaseSupporter(
                id=str(uuid.uuid4()),
                case_id=target.id,
                supporter=case.submitted_by,
                origin_case_id=case.id,
                filer=True,
                at=now,
            )
        )
        joined += 1
    await session.flush()
    return joined


async def similar_cases(
    session: AsyncSession, params: PageParams, *, grid_id: str, category: str
) -> tuple[list[SimilarCase], int]:
    """Open public cases of the same grid and category, most supported first: a "me too" before filing again."""
    supporters = (
        select(func.count()).select_from(CaseSupporter).where(CaseSupporter.case_id == Case.id).scalar_subquery()
    )
    query = (
        select(Case, supporters.label("supporters"))
        .where(Case.grid_id == grid_id, Case.category == category, Case.status.in_(OPEN), Case.public)
        .where(Case.kind != "dispute")
        .order_by(supporters.desc(), Case.submitted_at.desc(), Case.id)
    )
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(params.limit).offset(params.offset))).all()
    return [
        SimilarCase(
            id=case.id,
            kind=case.kind,
            category=case.category,
            status=case.status,
            summary=scrub(case.description[:SUMMARY_LENGTH]),
            submitted_at=case.submitted_at,
            supporters=count,
        )
        for case, count in rows
    ], total


# --- reading --------------------------------------------------------------------------------------------------


async def get_case(session: AsyncSession, case_id: str, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    case = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"No case {case_id}.")
    return case


async def get_case_by_tracking_code(session: AsyncSession, code: str, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.tracking_code == code)
    case = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if case is None:
        raise NotFound("No case has this tracking code.")
    return case


async def filer_by_key(session: AsyncSession, code: str, key: str | None) -> tuple[Case, Who]:
    """An anonymous filer acts with the tracking code and the key the filing answer gave them."""
    case = await get_case_by_tracking_code(session, code, for_update=True)
    if not key or not case.filer_key_hash or not hmac.compare_digest(case.filer_key_hash, hash_key(key)):
        raise Forbidden("Send the filer key (X-Filer-Key) given when the case was filed.")
    return case, ANONYMOUS_FILER


async def contact(session: AsyncSession, case: Case, who_: Who) -> ContactRead:
    """The villager's contact, for those who must call them back: the deputies handling it and the office."""
    require(who_, Actor.handler, Actor.staff, doing="see the villager's contact")
    return ContactRead(phone=case.contact_phone, name=case.contact_name, preference=case.contact_preference)


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    grid_id: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
    sort: SortOrder = SortOrder.newest,
) -> tuple[list[Case], int]:
    query = select(Case)
    if not principal.has(*STAFF_ROLES):
        query = query.where(or_(*await _visible(session, principal)))
    for column, value in ((Case.status, status), (Case.grid_id, grid_id), (Case.kind, kind), (Case.category, category)):
        if value is not None:
            query = query.where(column == value)
    if overdue is not None and now is not None:
        late = statistics.late(now)
        query = query.where(late if overdue else ~late | Case.due_kind.is_(None))
    if sort is SortOrder.due:
        query = query.order_by(Case.due_kind.is_(None), Case.resolve_due_at, Case.accept_due_at, Case.id)
    else:
        query = query.order_by(Case.submitted_at.desc(), Case.id)
    return await paginate(session, query, params)


async def _visible(session: AsyncSession, principal: Principal) -> list:
    """The cases a caller who is not staff may list: own, supported, routed or in their grids, referred to them."""
    supported = select(CaseSupporter.case_id).where(CaseSupporter.supporter == principal.subject)
    conditions = [Case.submitted_by == principal.subject, Case.id.in_(supported)]
    if principal.deputy_id and principal.has(Role.deputy):
        routed = select(CaseAssignee.case_id).where(CaseAssignee.deputy_id == principal.deputy_id)
        conditions.append(Case.id.in_(routed))
        grids = await deputy_grids(session, principal.deputy_id)
        if grids:
            conditions.append(Case.grid_id.in_(grids))
    if principal.organisation and principal.has(Role.agency_officer):
        referred = select(Referral.case_id).where(Referral.organisation == principal.organisation)
        conditions.append(Case.id.in_(referred))
    return conditions


async def timeline(session: AsyncSession, case_id: str, *, internal: bool = False) -> list[TransitionRead]:
    """The case's steps in order; internal notes only if `internal`."""
    query = (
        select(CaseTransition)
        .where(CaseTransition.case_id == case_id)
        .order_by(CaseTransition.seq, CaseTransition.at, CaseTransition.to_status.desc())
    )
    if not internal:
        query = query.where(CaseTransition.action.not_in(INTERNAL))
    return [TransitionRead.model_validate(item) for item in (await session.execute(query)).scalars()]


async def read_model(
    session: AsyncSession,
    case: Case,
    *,
    contact_visible: bool = False,
    by_code: bool = False,
    internal: bool = False,
) -> CaseRead:
    """The case; `contact_visible` for its handlers, filer and the office; `by_code` for anyone with the code;
    `internal` (its internal notes) for officials (see `sees_internal`)."""
    return shape(
        case,
        assigned=await assignees(session, case.id),
        supporters=await supporter_count(session, case.id),
        steps=await timeline(session, case.id, internal=internal and not by_code),
        pictures=await photos.case_photos(session, case.id),
        contact_visible=contact_visible,
        by_code=by_code,
    )


def shape(
    case: Case,
    *,
    assigned: list[str],
    supporters: int,
    steps: list[TransitionRead],
    pictures: list[CasePhoto],
    contact_visible: bool = False,
    by_code: bool = False,
) -> CaseRead:
    return CaseRead(
        id=case.id,
        tracking_code=case.tracking_code,
        kind=case.kind,
        category=case.category,
        description=scrub(case.description) if by_code else case.description,
        grid_id=case.grid_id,
        location=_location(case) if not by_code else None,
        channel=case.channel,
        status=case.status,
        urgent=case.urgent,
        submitted_at=case.submitted_at,
        accept_due_at=case.accept_due_at,
        resolve_due_at=case.resolve_due_at,
        escalation_level=case.escalation_level,
        assigned_deputy_ids=assigned,
        supporters=supporters,
        contact_phone_masked=mask_phone(case.contact_phone) if contact_visible else None,
        contact_name_masked=mask_name(case.contact_name) if contact_visible else None,
        resolution=case.resolution,
        public_reason=case.public_reason,
        out_of_scope=case.out_of_scope,
        where_to_go=reference.where_to_go(case.out_of_scope),
        rating=case.rating,
        merged_into_id=case.merged_into_id,
        photos=pictures,
        timeline=steps,
    )


def _location(case: Case) -> LatLon | None:
    if case.location_lat is None or case.location_lon is None:
        return None
    return LatLon(lat=case.location_lat, lon=case.location_lon)


def created_model(filed: Filed, filer_key: str | None) -> CaseCreated:
    """The filing's answer, from what it wrote (a new case has no supporters yet): what GET /cases/{id} reads."""
    steps = [
        TransitionRead.model_validate(step).model_copy(update={"at": step.at.astimezone(UTC)})
        for step in sorted(filed.steps, key=lambda step: step.seq)
    ]
    base = shape(
        filed.case,
        assigned=sorted(filed.deputies),
        supporters=0,
        steps=steps,
        pictures=filed.photos,
        contact_visible=True,
    )
    return CaseCreated(**base.model_dump(), filer_key=filer_key)


# --- projections of grid events --------------------------------------------------------------------------------


async def on_grid_created(session: AsyncSession, _: CaseRuntime, payload: GridCreated) -> None:
    await session.merge(
        KnownGrid(id=payload.grid_id, name=payload.name, level=payload.level, parent_id=payload.parent_id)
    )


async def on_grid_changed(session: AsyncSession, _: CaseRuntime, payload: GridChanged) -> None:
    await session.merge(
        KnownGrid(id=payload.grid_id, name=payload.name, level=payload.level, parent_id=payload.parent_id)
    )


async def on_assignment_started(session: AsyncSession, runtime: CaseRuntime, payload: AssignmentStarted) -> None:
    await session.merge(
        RoutingEntry(
            assignment_id=payload.assignment_id,
            grid_id=payload.grid_id,
            deputy_id=payload.deputy_id,
            role=payload.role,
            active=True,
        )
    )
    await session.flush()
    await route_waiting_cases(session, runtime)


async def on_assignment_ended(session: AsyncSession, _: CaseRuntime, payload: AssignmentEnded) -> None:
    await session.execute(
        update(RoutingEntry).where(RoutingEntry.assignment_id == payload.assignment_id).values(active=False)
    )
