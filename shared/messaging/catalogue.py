"""The event catalogue: one pydantic payload per versioned event type.

Event types are `<service>.<entity>.<past-tense verb>.v<N>` and double as NATS subjects. Payloads carry
ids, never a villager's name or phone number.
"""

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.messaging.envelope import CloudEvent

CLOSED_CASE_STATUSES = frozenset({"closed", "withdrawn", "rejected", "merged"})
"""Case statuses no one works on any more: no transition leads on but a reopening (closed). Every service that
counts open work (a grid's open cases, a deputy's inbox, Open311's `status`) uses this one set."""
AWAITING_CONFIRMATION = "resolved"
"""A resolved case waits for the villager to confirm it (closed) or say it is not solved (reopened): open for
the grid and the statistics, but off the deputy's hands until the villager answers."""


class EventPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    event_type: ClassVar[str]


class GridCreated(EventPayload):
    event_type = "grid.grid.created.v1"
    grid_id: str
    code: str
    name: str
    level: str
    parent_id: str | None


class AssignmentStarted(EventPayload):
    event_type = "grid.assignment.started.v1"
    assignment_id: str
    grid_id: str
    deputy_id: str
    role: str
    basis: str
    starts_on: date


class AssignmentEnded(EventPayload):
    event_type = "grid.assignment.ended.v1"
    assignment_id: str
    grid_id: str
    deputy_id: str
    ends_on: date


class GridChanged(EventPayload):
    """A grid was renamed, moved or had its figures, district or centre changed: its public state after the change.

    `changed` names the fields that changed; `version` grows with every change, so a consumer can drop a stale one.
    The boundary itself is not carried (fetch it from the grid API); `has_boundary` says whether there is one.
    """

    event_type = "grid.grid.changed.v1"
    grid_id: str
    code: str
    name: str
    level: str
    kind: str
    parent_id: str | None
    district: str | None
    population: int | None
    households: int | None
    centre_lat: float | None
    centre_lon: float | None
    has_boundary: bool
    changed: list[str]
    version: int
    at: datetime


class GridRetired(EventPayload):
    """A grid was retired (it had no open cases and no active children); its assignments ended before this event."""

    event_type = "grid.grid.retired.v1"
    grid_id: str
    code: str
    level: str
    parent_id: str | None
    retired_on: date
    reason: str
    version: int


class DeputyRegistered(EventPayload):
    event_type = "deputy.deputy.registered.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool


class DeputyUpdated(EventPayload):
    """A deputy's public profile after a change (also sent right after registration, as version 1).

    Carries no contact details and no home coordinates: those are personal data kept by the deputy service.
    """

    event_type = "deputy.deputy.updated.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool
    organisation: str | None
    home_grid_id: str | None
    status: str
    version: int
    changed: list[str]


class DeputyRetired(EventPayload):
    """A deputy left office; the grid service ends their assignments."""

    event_type = "deputy.deputy.retired.v1"
    deputy_id: str
    code: str
    retired_on: date
    reason: str
    version: int


class VisitLogged(EventPayload):
    """A deputy logged a field visit, inspection, research visit or a visit to a supported household."""

    event_type = "deputy.visit.logged.v1"
    visit_id: str
    deputy_id: str
    kind: str
    grid_id: str | None
    occurred_at: datetime
    roles: list[str]


class CaseSubmitted(EventPayload):
    event_type = "case.case.submitted.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    channel: str
    summary: str
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    urgent: bool = False
    """A safety hazard: its deadlines run in clock hours (2 to accept, 24 to resolve)."""


class CaseAssigned(EventPayload):
    """A case waiting for a deputy got one: its grid had none when it was filed."""

    event_type = "case.case.assigned.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    summary: str
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    urgent: bool = False


class CaseTransitioned(EventPayload):
    """Common shape of a case's step from one state to another; the concrete types below name the step.

    `deputy_ids` are the deputies the case is routed to; `note` is the public reason, never personal data.
    """

    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    from_status: str
    to_status: str
    deputy_ids: list[str]
    actor_deputy_id: str | None = None
    at: datetime
    note: str = ""
    organisation: str | None = None
    due_at: datetime | None = None
    rating: str | None = None
    into_case_id: str | None = None


class CaseAccepted(CaseTransitioned):
    event_type = "case.case.accepted.v1"


class CaseStarted(CaseTransitioned):
    event_type = "case.case.started.v1"


class CaseReferred(CaseTransitioned):
    event_type = "case.case.referred.v1"


class CaseMediationStarted(CaseTransitioned):
    event_type = "case.case.mediating.v1"


class CaseResolved(CaseTransitioned):
    event_type = "case.case.resolved.v1"


class CaseClosed(CaseTransitioned):
    event_type = "case.case.closed.v1"


class CaseReopened(CaseTransitioned):
    event_type = "case.case.reopened.v1"


class CaseEscalated(CaseTransitioned):
    event_type = "case.case.escalated.v1"


class CaseReturned(CaseTransitioned):
    event_type = "case.case.returned.v1"


class CaseMerged(CaseTransitioned):
    event_type = "case.case.merged.v1"


class CaseWithdrawn(CaseTransitioned):
    event_type = "case.case.withdrawn.v1"


class CaseRejected(CaseTransitioned):
    event_type = "case.case.rejected.v1"


class DisputeMediated(EventPayload):
    """A mediation session of a dispute was held (人民调解), with or without an agreement."""

    event_type = "case.dispute.mediated.v1"
    case_id: str
    grid_id: str
    mediator_deputy_ids: list[str]
    agreement_reached: bool
    at: datetime


class CaseReminded(EventPayload):
    """A deadline of a case is near (stage `reminder`) or was missed (stage `chase`, 催办).

    `deadline` is accept, resolve or referral; those who must act are named by id (deputies, organisation).
    """

    event_type = "case.case.reminded.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    deadline: str
    stage: str
    due_at: datetime
    deputy_ids: list[str]
    organisation: str | None = None
    at: datetime


class CaseSupported(EventPayload):
    """Villagers said "me too" about a case, or a merged duplicate's supporters joined it; `supporters` is the total."""

    event_type = "case.case.supported.v1"
    case_id: str
    grid_id: str
    supporters: int
    at: datetime


class CaseNoted(EventPayload):
    """A deputy handling the case or the office wrote an internal note on its timeline; the words stay in the
    case service (officials read them there), so the event names who and when only."""

    event_type = "case.case.noted.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    deputy_ids: list[str]
    actor_deputy_id: str | None = None
    at: datetime


class ReferralAnswered(EventPayload):
    """The organisation a case was referred to (四方联动) answered; the deputies accept the answer or send it back."""

    event_type = "case.referral.answered.v1"
    referral_id: str
    case_id: str
    grid_id: str
    organisation: str
    deputy_ids: list[str]
    at: datetime


class ReferralReturned(EventPayload):
    """A deputy sent an organisation's answer back for more work, with a new due date and a public reason."""

    event_type = "case.referral.returned.v1"
    referral_id: str
    case_id: str
    grid_id: str
    organisation: str
    deputy_ids: list[str]
    due_at: datetime
    note: str = ""
    at: datetime


class FundPoolCreated(EventPayload):
    """City finance created a year's fund pool for livelihood micro-projects; amounts are yuan strings ("1234.50")."""

    event_type = "funding.pool.created.v1"
    pool_id: str
    year: int
    name: str
    total: str
    service_cap: str
    goods_cap: str
    works_cap: str


class ProjectStepped(EventPayload):
    """Common shape of a micro-project (民生微实事) entering a stage; the concrete types below name the stage.

    `deputy_ids` proposed it; `case_ids` are the villagers' cases it answers; `budget` is yuan as a string;
    `note` is the public reason or remark, never personal data.
    """

    project_id: str
    pool_id: str
    kind: str
    title: str
    deputy_ids: list[str]
    grid_ids: list[str]
    village_ids: list[str]
    case_ids: list[str]
    budget: str
    from_status: str | None
    to_status: str
    at: datetime
    note: str = ""


class ProjectDrafted(ProjectStepped):
    event_type = "funding.project.drafted.v1"


class ProjectSubmitted(ProjectStepped):
    event_type = "funding.project.submitted.v1"


class ProjectScreened(ProjectStepped):
    event_type = "funding.project.screened.v1"


class ProjectDeliberated(ProjectStepped):
    event_type = "funding.project.deliberated.v1"


class ProjectNoticed(ProjectStepped):
    """The public notice started; objections are taken until the notice ends."""

    event_type = "funding.project.noticed.v1"


class ProjectReturned(ProjectStepped):
    """An objection was upheld: the project went back to its deputy's draft."""

    event_type = "funding.project.returned.v1"


class ProjectApproved(ProjectStepped):
    """Approved and funded: the budget was allocated from the pool (see funding.ledger.allocated.v1)."""

    event_type = "funding.project.approved.v1"


class ProjectStarted(ProjectStepped):
    event_type = "funding.project.started.v1"


class ProjectCompleted(ProjectStepped):
    """Accepted (验收): the project is delivered; `case_ids` name the villagers' cases it answered."""

    event_type = "funding.project.completed.v1"


class ProjectEvaluated(ProjectStepped):
    event_type = "funding.project.evaluated.v1"


class ProjectPublished(ProjectStepped):
    event_type = "funding.project.published.v1"


class ProjectRejected(ProjectStepped):
    event_type = "funding.project.rejected.v1"


class ProjectWithdrawn(ProjectStepped):
    event_type = "funding.project.withdrawn.v1"


class ProjectProgressed(EventPayload):
    """A monthly progress report of a project in progress (0-100 %)."""

    event_type = "funding.project.progressed.v1"
    project_id: str
    pool_id: str
    village_ids: list[str]
    month: str
    percent: int
    at: datetime


class LedgerPosted(EventPayload):
    """Common shape of an entry in a fund pool's append-only ledger; amounts are yuan strings ("1234.50").

    `pool_available` and `project_balance` are the balances right after the entry; `seq` orders a pool's entries.
    """

    entry_id: str
    seq: int
    pool_id: str
    project_id: str | None
    amount: str
    pool_available: str
    project_balance: str | None
    at: datetime


class LedgerAppropriated(LedgerPosted):
    event_type = "funding.ledger.appropriated.v1"


class LedgerAllocated(LedgerPosted):
    event_type = "funding.ledger.allocated.v1"


class LedgerDisbursed(LedgerPosted):
    event_type = "funding.ledger.disbursed.v1"


class LedgerReleased(LedgerPosted):
    event_type = "funding.ledger.released.v1"


FUNDING_EVENTS: tuple[type[EventPayload], ...] = (
    FundPoolCreated,
    ProjectDrafted,
    ProjectSubmitted,
    ProjectScreened,
    ProjectDeliberated,
    ProjectNoticed,
    ProjectReturned,
    ProjectApproved,
    ProjectStarted,
    ProjectCompleted,
    ProjectEvaluated,
    ProjectPublished,
    ProjectRejected,
    ProjectWithdrawn,
    ProjectProgressed,
    LedgerAppropriated,
    LedgerAllocated,
    LedgerDisbursed,
    LedgerReleased,
)


class SessionScheduled(EventPayload):
    """A reception session was announced at a liaison station: when, how (station, outside, online), who is on duty."""

    event_type = "station.session.scheduled.v1"
    session_id: str
    station_id: str
    mode: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topic: str
    deputy_ids: list[str]
    organisations: list[str]
    rota_id: str | None = None


class SessionCancelled(EventPayload):
    """A reception session was cancelled; `booking_ids` are the bookings that got the notice (no villager named)."""

    event_type = "station.session.cancelled.v1"
    session_id: str
    station_id: str
    starts_at: datetime
    reason: str
    deputy_ids: list[str]
    booking_ids: list[str]
    at: datetime


class SessionHeld(EventPayload):
    """A reception session took place, with these deputies on duty (a reception for their performance record)."""

    event_type = "station.session.held.v1"
    session_id: str
    station_id: str
    starts_at: datetime
    deputy_ids: list[str]
    at: datetime


class BookingMade(EventPayload):
    """A place at a session was booked (`confirmed` or `waitlisted`) or a walk-in registered (`attended`)."""

    event_type = "station.booking.made.v1"
    booking_id: str
    session_id: str
    station_id: str
    kind: str
    status: str
    at: datetime


class StationIssueRaised(EventPayload):
    """An issue raised face to face at a station that needs follow-up (当面提, not settled on the spot).

    Case intake opens a case with the id `case_id` (channel `station`, in group grid `grid_id`), once: a repeat
    of this event must not open a second case. The case events that carry that id show the case's progress on
    the station's record `record_id`. `summary` is public and carries no names or phone numbers; `route` is
    township, city_organs or suggestion; `deputy_ids` are the deputies who received the visitor.
    """

    event_type = "station.issue.raised.v1"
    record_id: str
    case_id: str
    station_id: str
    session_id: str
    grid_id: str
    kind: str
    category: str
    route: str
    summary: str
    deputy_ids: list[str]
    raised_at: datetime


STATION_EVENTS: tuple[type[EventPayload], ...] = (
    SessionScheduled,
    SessionCancelled,
    SessionHeld,
    BookingMade,
    StationIssueRaised,
)


CASE_TRANSITIONS: tuple[type[CaseTransitioned], ...] = (
    CaseAccepted,
    CaseStarted,
    CaseReferred,
    CaseMediationStarted,
    CaseResolved,
    CaseClosed,
    CaseReopened,
    CaseEscalated,
    CaseReturned,
    CaseMerged,
    CaseWithdrawn,
    CaseRejected,
)

CATALOGUE: dict[str, type[EventPayload]] = {
    payload.event_type: payload
    for payload in (
        GridCreated,
        GridChanged,
        GridRetired,
        AssignmentStarted,
        AssignmentEnded,
        DeputyRegistered,
        DeputyUpdated,
        DeputyRetired,
        VisitLogged,
        CaseSubmitted,
        CaseAssigned,
        *CASE_TRANSITIONS,
        DisputeMediated,
        CaseReminded,
        CaseSupported,
        CaseNoted,
        ReferralAnswered,
        ReferralReturned,
        *FUNDING_EVENTS,
        *STATION_EVENTS,
    )
}

STREAMS: dict[str, str] = {
    "GRID": "grid",
    "DEPUTY": "deputy",
    "CASE": "case",
    "STATION": "station",
    "FUNDING": "funding",
}
"""JetStream stream name -> subject prefix of the one service that publishes into it."""


def stream_of(event_type: str) -> str:
    prefix = event_type.split(".", 1)[0]
    return next(name for name, subject_prefix in STREAMS.items() if subject_prefix == prefix)


def envelope(source: str, payload: EventPayload, subject: str | None = None) -> CloudEvent:
    return CloudEvent(source=source, type=payload.event_type, subject=subject, data=payload.model_dump(mode="json"))


def parse(event: CloudEvent) -> EventPayload:
    return CATALOGUE[event.type].model_validate(event.data)


def json_schemas() -> dict[str, dict]:
    return {event_type: payload.model_json_schema() for event_type, payload in CATALOGUE.items()}
