"""Stations publish station.* events (staged by logic) and keep projections of deputies, grids, assignments and cases.

Published: station.session.scheduled/cancelled/held.v1, station.booking.made/promoted.v1,
station.issue.raised.v1.
Consumed: deputies (who may be on duty), the grid tree and assignments (which deputies a station's grids
have), the case events of cases opened from a station issue (the record shows the case's progress), and a
villager's erasure (identity.person.erased.v1, from the gateway).
"""

from services.station_scheduling import projections
from shared.messaging.catalogue import (
    CASE_TRANSITIONS,
    AssignmentEnded,
    AssignmentStarted,
    CaseAssignedV2,
    CaseSubmittedV2,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
)
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "DEPUTY": {
        DeputyRegistered.event_type: projections.on_deputy_registered,
        DeputyUpdated.event_type: projections.on_deputy_updated,
        DeputyRetired.event_type: projections.on_deputy_retired,
    },
    "GRID": {
        GridCreated.event_type: projections.on_grid_created,
        GridChanged.event_type: projections.on_grid_changed,
        GridRetired.event_type: projections.on_grid_retired,
        AssignmentStarted.event_type: projections.on_assignment_started,
        AssignmentEnded.event_type: projections.on_assignment_ended,
    },
    "CASE": {
        CaseSubmittedV2.event_type: projections.on_case_event,
        CaseAssignedV2.event_type: projections.on_case_event,
        **{transition.event_type: projections.on_case_event for transition in CASE_TRANSITIONS},
    },
    "IDENTITY": {PersonErased.event_type: projections.on_person_erased},
}
