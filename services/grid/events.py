"""The grid publishes grid.* events (see logic); it keeps projections of deputies and of open cases.

DEPUTY: who is on the chairpersons' council (township grid heads), who retired (their assignments end),
districts and home grids (coverage suggestions). CASE: which cases are open in which grid, so that a grid
with open work cannot be retired.
"""

from services.grid import logic
from shared.messaging.catalogue import (
    CASE_TRANSITIONS,
    CaseAssigned,
    CaseSubmitted,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
)
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "DEPUTY": {
        DeputyRegistered.event_type: logic.on_deputy_registered,
        DeputyUpdated.event_type: logic.on_deputy_updated,
        DeputyRetired.event_type: logic.on_deputy_retired,
    },
    "CASE": {
        CaseSubmitted.event_type: logic.on_case_event,
        CaseAssigned.event_type: logic.on_case_event,
        **{transition.event_type: logic.on_case_event for transition in CASE_TRANSITIONS},
    },
}
