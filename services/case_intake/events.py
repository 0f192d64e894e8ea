"""Case intake publishes case.* events (see logic), keeps its routing table from grid events and opens a case
for each issue raised at a station reception that needs follow-up."""

from services.case_intake import logic
from shared.messaging.catalogue import AssignmentEnded, AssignmentStarted, GridChanged, GridCreated, StationIssueRaised
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "GRID": {
        GridCreated.event_type: logic.on_grid_created,
        GridChanged.event_type: logic.on_grid_changed,
        AssignmentStarted.event_type: logic.on_assignment_started,
        AssignmentEnded.event_type: logic.on_assignment_ended,
    },
    "STATION": {StationIssueRaised.event_type: logic.on_station_issue_raised},
}
