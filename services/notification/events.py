"""The notification service publishes no events; it consumes the grid tree (names), the case events that
matter to people: routed or assigned to deputies, reminders and 催办, escalations, referral answers, and the
steps a filer hears of (accepted, referred, resolved, rejected, reopened), and a person's erasure."""

from services.notification import projections
from shared.messaging.catalogue import (
    CaseAccepted,
    CaseAssignedV2,
    CaseEscalated,
    CaseReferred,
    CaseRejected,
    CaseReminded,
    CaseReopened,
    CaseResolved,
    CaseSubmittedV2,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
    ReferralAnswered,
)
from shared.messaging.inbox import Handler

CASE_EVENTS = (
    CaseSubmittedV2,
    CaseAssignedV2,
    CaseReminded,
    CaseEscalated,
    ReferralAnswered,
    CaseAccepted,
    CaseReferred,
    CaseResolved,
    CaseRejected,
    CaseReopened,
)

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "GRID": {
        GridCreated.event_type: projections.on_grid_event,
        GridChanged.event_type: projections.on_grid_event,
        GridRetired.event_type: projections.on_grid_event,
    },
    "CASE": {payload.event_type: projections.on_case_event for payload in CASE_EVENTS},
    "IDENTITY": {PersonErased.event_type: projections.on_person_erased},
}
