"""Case intake publishes case.* events (see logic), keeps its grid tree and routing table from grid events,
opens a case for each issue raised at a station reception that needs follow-up, tells the filer when a
micro-project takes their case in (FUNDING), shows on a case's timeline the deputies' suggestions that cite it
(DEPUTY), and erases a villager when the gateway says so (projections)."""

from services.case_intake import projections
from services.case_intake.domain.projects import SHOWN_STEPS
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
    StationIssueHandedOver,
    StationIssueRaised,
    SuggestionAccepted,
    SuggestionAnswered,
    SuggestionCompleted,
    SuggestionMerged,
)
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "GRID": {
        GridCreated.event_type: projections.on_grid_created,
        GridChanged.event_type: projections.on_grid_changed,
        GridRetired.event_type: projections.on_grid_retired,
        AssignmentStarted.event_type: projections.on_assignment_started,
        AssignmentEnded.event_type: projections.on_assignment_ended,
    },
    "STATION": {StationIssueRaised.event_type: projections.on_station_issue_raised},
    "FUNDING": {step.event_type: projections.on_project_step for step in SHOWN_STEPS},
    "RECEPTION": {StationIssueHandedOver.event_type: projections.on_station_issue_handed_over},
    "DEPUTY": {
        SuggestionAccepted.event_type: projections.on_suggestion_accepted,
        SuggestionAnswered.event_type: projections.on_suggestion_answered,
        SuggestionCompleted.event_type: projections.on_suggestion_completed,
        SuggestionMerged.event_type: projections.on_suggestion_merged,
    },
    "IDENTITY": {PersonErased.event_type: projections.on_person_erased},
}
