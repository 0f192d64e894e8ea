"""grid.grid.* and grid.assignment.*: the tree and who answers for which grid (published by grid)."""

from datetime import date, datetime

from shared.messaging.catalogue.base import EventPayload


class GridCreated(EventPayload):
    event_type = "grid.grid.created.v1"
    grid_id: str
    code: str
    name: str
    level: str
    parent_id: str | None


class AssignmentStarted(EventPayload):
    event_type = "grid.assignment.started.v1"
    assignment_id: str
    grid_id: str
    deputy_id: str
    role: str
    basis: str
    starts_on: date


class AssignmentEnded(EventPayload):
    event_type = "grid.assignment.ended.v1"
    assignment_id: str
    grid_id: str
    deputy_id: str
    ends_on: date


class GridChanged(EventPayload):
    """A grid was renamed, moved or had its figures, district or centre changed: its public state after the change.

    `changed` names the fields that changed; `version` grows with every change, so a consumer can drop a stale one.
    The boundary itself is not carried (fetch it from the grid API); `has_boundary` says whether there is one.
    """

    event_type = "grid.grid.changed.v1"
    grid_id: str
    code: str
    name: str
    level: str
    kind: str
    parent_id: str | None
    district: str | None
    population: int | None
    households: int | None
    centre_lat: float | None
    centre_lon: float | None
    has_boundary: bool
    changed: list[str]
    version: int
    at: datetime


class GridRetired(EventPayload):
    """A grid was retired (it had no open cases and no active children); its assignments ended before this event."""

    event_type = "grid.grid.retired.v1"
    grid_id: str
    code: str
    level: str
    parent_id: str | None
    retired_on: date
    reason: str
    version: int
