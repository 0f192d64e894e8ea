"""The deputy service publishes deputy.* events (see logic) and keeps copies of other services' facts (see
projections): SUBSCRIPTIONS maps each event it consumes, by stream, to its handler.

CASE: routing and every step of a case keep each deputy's inbox current; accepting, referring, resolving and
mediating go on the record of duty. STATION: reception duty held, visitors received with an issue (and the
suggestions they became). FUNDING: micro-projects proposed and completed. GRID: the tree, to count
statistics by township and village, and the assignments (the duty report's grids).
"""

from services.deputy import projections
from services.deputy.domain.duty import PROJECT_STEPS
from shared.messaging.catalogue import (
    CASE_TRANSITIONS,
    AssignmentEnded,
    AssignmentStarted,
    CaseAssignedV2,
    CaseSubmittedV2,
    DisputeMediated,
    GridChanged,
    GridCreated,
    GridRetired,
    SessionHeld,
    StationIssueRaised,
)
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "CASE": {
        CaseSubmittedV2.event_type: projections.on_case_routed,
        CaseAssignedV2.event_type: projections.on_case_routed,
        **{transition.event_type: projections.on_case_transitioned for transition in CASE_TRANSITIONS},
        DisputeMediated.event_type: projections.on_dispute_mediated,
    },
    "STATION": {
        SessionHeld.event_type: projections.on_session_held,
        StationIssueRaised.event_type: projections.on_station_issue,
    },
    "FUNDING": {step.event_type: projections.on_project_step for step in PROJECT_STEPS},
    "GRID": {
        GridCreated.event_type: projections.on_grid_event,
        GridChanged.event_type: projections.on_grid_event,
        GridRetired.event_type: projections.on_grid_event,
        AssignmentStarted.event_type: projections.on_assignment_started,
        AssignmentEnded.event_type: projections.on_assignment_ended,
    },
}
