"""Case intake publishes case.* events (see logic) and keeps its routing table from grid events."""

from services.case_intake import logic
from shared.events.bus import Handler
from shared.events.catalogue import AssignmentEnded, AssignmentStarted, GridCreated

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "GRID": {
        GridCreated.event_type: logic.on_grid_created,
        AssignmentStarted.event_type: logic.on_assignment_started,
        AssignmentEnded.event_type: logic.on_assignment_ended,
    },
}
