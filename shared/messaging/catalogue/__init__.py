"""The event catalogue: one pydantic payload per versioned event type, one module per publishing service.

Event types are `<service>.<entity>.<past-tense verb>.v<N>` and double as NATS subjects. Payloads carry
ids, never a villager's name or phone number. Import payloads from here (`shared.messaging.catalogue`).
"""

from shared.messaging.catalogue.base import EventPayload
from shared.messaging.catalogue.case import (
    AWAITING_CONFIRMATION,
    CASE_TRANSITIONS,
    CLOSED_CASE_STATUSES,
    CaseAccepted,
    CaseAssigned,
    CaseAssignedV2,
    CaseClosed,
    CaseDispatched,
    CaseEscalated,
    CaseMediationStarted,
    CaseMerged,
    CaseNoted,
    CaseReferred,
    CaseRejected,
    CaseReminded,
    CaseReopened,
    CaseResolved,
    CaseReturned,
    CaseStarted,
    CaseSubmitted,
    CaseSubmittedV2,
    CaseSupported,
    CaseTransitioned,
    CaseWithdrawn,
    DisputeMediated,
    ReferralAnswered,
    ReferralReturned,
)
from shared.messaging.catalogue.contact import CaseContactGiven
from shared.messaging.catalogue.deputy import (
    SUGGESTION_EVENTS,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    SuggestionAccepted,
    SuggestionAnswered,
    SuggestionAssigned,
    SuggestionCompleted,
    SuggestionMerged,
    SuggestionRated,
    SuggestionReassignmentRequested,
    SuggestionRehandled,
    SuggestionReminded,
    SuggestionReturned,
    SuggestionStepped,
    SuggestionSubmitted,
    VisitLogged,
)
from shared.messaging.catalogue.funding import (
    FUNDING_EVENTS,
    FundPoolCreated,
    LedgerAllocated,
    LedgerAppropriated,
    LedgerDisbursed,
    LedgerPosted,
    LedgerReleased,
    ObjectionRaised,
    ProjectApproved,
    ProjectCompleted,
    ProjectCompletedV2,
    ProjectDeliberated,
    ProjectDrafted,
    ProjectEvaluated,
    ProjectNoticed,
    ProjectProgressed,
    ProjectPublished,
    ProjectRejected,
    ProjectReturned,
    ProjectScreened,
    ProjectStarted,
    ProjectStepped,
    ProjectSubmitted,
    ProjectSubmittedV2,
    ProjectWithdrawn,
)
from shared.messaging.catalogue.grid import (
    AssignmentEnded,
    AssignmentStarted,
    GridChanged,
    GridCreated,
    GridRetired,
)
from shared.messaging.catalogue.identity import PersonErased
from shared.messaging.catalogue.reception import StationIssueHandedOver
from shared.messaging.catalogue.station import (
    STATION_EVENTS,
    BookingMade,
    BookingPromoted,
    SessionCancelled,
    SessionHeld,
    SessionScheduled,
    StationIssueRaised,
)
from shared.messaging.envelope import CloudEvent

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
        *SUGGESTION_EVENTS,
        CaseSubmitted,
        CaseSubmittedV2,
        CaseAssigned,
        CaseAssignedV2,
        *CASE_TRANSITIONS,
        DisputeMediated,
        CaseReminded,
        CaseSupported,
        CaseNoted,
        ReferralAnswered,
        ReferralReturned,
        *FUNDING_EVENTS,
        *STATION_EVENTS,
        PersonErased,
        CaseContactGiven,
        StationIssueHandedOver,
    )
}

STREAMS: dict[str, str] = {
    "GRID": "grid",
    "DEPUTY": "deputy",
    "CASE": "case",
    "STATION": "station",
    "FUNDING": "funding",
    "IDENTITY": "identity",
    "CONTACT": "contact",
    "RECEPTION": "reception",
}
"""JetStream stream name -> subject prefix of the one service that publishes into it."""

EPHEMERAL_STREAMS = frozenset({"IDENTITY", "CONTACT", "RECEPTION"})
"""Streams that keep a message only until every consumer acknowledged it (JetStream's interest retention): what
they carry (a phone number: to erase, to send SMS to) must not stay on the bus. The others keep their messages
(limits)."""


def stream_of(event_type: str) -> str:
    prefix = event_type.split(".", 1)[0]
    return next(name for name, subject_prefix in STREAMS.items() if subject_prefix == prefix)


def envelope(source: str, payload: EventPayload, subject: str | None = None) -> CloudEvent:
    return CloudEvent(source=source, type=payload.event_type, subject=subject, data=payload.model_dump(mode="json"))


def parse(event: CloudEvent) -> EventPayload:
    return CATALOGUE[event.type].model_validate(event.data)


def json_schemas() -> dict[str, dict]:
    return {event_type: payload.model_json_schema() for event_type, payload in CATALOGUE.items()}


__all__ = [
    "AWAITING_CONFIRMATION",
    "AssignmentEnded",
    "AssignmentStarted",
    "BookingMade",
    "BookingPromoted",
    "CASE_TRANSITIONS",
    "CATALOGUE",
    "CLOSED_CASE_STATUSES",
    "CaseAccepted",
    "CaseAssigned",
    "CaseAssignedV2",
    "CaseClosed",
    "CaseContactGiven",
    "CaseEscalated",
    "CaseMediationStarted",
    "CaseMerged",
    "CaseNoted",
    "CaseReferred",
    "CaseRejected",
    "CaseDispatched",
    "CaseReminded",
    "CaseReopened",
    "CaseResolved",
    "CaseReturned",
    "CaseStarted",
    "CaseSubmitted",
    "CaseSubmittedV2",
    "CaseSupported",
    "CaseTransitioned",
    "CaseWithdrawn",
    "CloudEvent",
    "DeputyRegistered",
    "DeputyRetired",
    "DeputyUpdated",
    "DisputeMediated",
    "EPHEMERAL_STREAMS",
    "EventPayload",
    "FUNDING_EVENTS",
    "FundPoolCreated",
    "GridChanged",
    "GridCreated",
    "GridRetired",
    "LedgerAllocated",
    "LedgerAppropriated",
    "LedgerDisbursed",
    "LedgerPosted",
    "LedgerReleased",
    "ObjectionRaised",
    "ProjectApproved",
    "ProjectCompleted",
    "ProjectCompletedV2",
    "ProjectDeliberated",
    "ProjectDrafted",
    "ProjectEvaluated",
    "ProjectNoticed",
    "ProjectProgressed",
    "ProjectPublished",
    "ProjectRejected",
    "ProjectReturned",
    "ProjectScreened",
    "ProjectStarted",
    "ProjectStepped",
    "ProjectSubmitted",
    "ProjectSubmittedV2",
    "PersonErased",
    "ProjectWithdrawn",
    "ReferralAnswered",
    "ReferralReturned",
    "STATION_EVENTS",
    "STREAMS",
    "SUGGESTION_EVENTS",
    "SuggestionAccepted",
    "SuggestionAnswered",
    "SuggestionAssigned",
    "SuggestionCompleted",
    "SuggestionMerged",
    "SuggestionRated",
    "SuggestionReassignmentRequested",
    "SuggestionRehandled",
    "SuggestionReminded",
    "SuggestionReturned",
    "SuggestionStepped",
    "SuggestionSubmitted",
    "SessionCancelled",
    "SessionHeld",
    "SessionScheduled",
    "StationIssueHandedOver",
    "StationIssueRaised",
    "VisitLogged",
    "envelope",
    "json_schemas",
    "parse",
    "stream_of",
]
