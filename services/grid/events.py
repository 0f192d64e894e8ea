"""The grid publishes grid.* events (see logic); it keeps projections of deputies and of open cases (see
projections): SUBSCRIPTIONS maps each event it consumes, by stream, to its handler."""

from services.grid import projections
from shared.messaging.catalogue import (
    CASE_TRANSITIONS,
    CaseAssignedV2,
    CaseSubmittedV2,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
)
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "DEPUTY": {
        DeputyRegistered.event_type: projections.on_deputy_registered,
        DeputyUpdated.event_type: projections.on_deputy_updated,
        DeputyRetired.event_type: projections.on_deputy_retired,
    },
    "CASE": {
        CaseSubmittedV2.event_type: projections.on_case_event,
        CaseAssignedV2.event_type: projections.on_case_event,
        **{transition.event_type: projections.on_case_event for transition in CASE_TRANSITIONS},
    },
}
