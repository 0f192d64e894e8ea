"""Micro-funding publishes funding.pool.*, funding.project.* and funding.ledger.* events (staged by logic).

It listens to grid events (to place a project in its village), case events (the cases a proposal cites) and a
villager's erasure (identity.person.erased.v1, from the gateway).
"""

from services.micro_funding import projections
from shared.messaging.catalogue import (
    CASE_TRANSITIONS,
    CaseAssignedV2,
    CaseSubmittedV2,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
)
from shared.messaging.inbox import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "GRID": {
        GridCreated.event_type: projections.on_grid_created,
        GridChanged.event_type: projections.on_grid_changed,
        GridRetired.event_type: projections.on_grid_retired,
    },
    "CASE": {
        CaseSubmittedV2.event_type: projections.on_case_routed,
        CaseAssignedV2.event_type: projections.on_case_routed,
        **{transition.event_type: projections.on_case_transitioned for transition in CASE_TRANSITIONS},
    },
    "IDENTITY": {PersonErased.event_type: projections.on_person_erased},
}
