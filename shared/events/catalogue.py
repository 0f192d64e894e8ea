"""The event catalogue: one pydantic payload per versioned event type.

Event types are `<service>.<entity>.<past-tense verb>.v<N>` and double as NATS subjects. Payloads carry
ids, never a villager's name or phone number.
"""

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import CloudEvent


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


class DeputyRegistered(EventPayload):
    event_type = "deputy.deputy.registered.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool


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
        AssignmentStarted,
        AssignmentEnded,
        DeputyRegistered,
        CaseSubmitted,
        CaseAssigned,
        *CASE_TRANSITIONS,
        DisputeMediated,
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
