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


CATALOGUE: dict[str, type[EventPayload]] = {
    payload.event_type: payload
    for payload in (GridCreated, AssignmentStarted, AssignmentEnded, DeputyRegistered, CaseSubmitted, CaseAssigned)
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
