"""deputy.deputy.* and deputy.visit.*: deputies and their field visits (published by deputy)."""

from datetime import date, datetime

from shared.messaging.catalogue.base import EventPayload


class DeputyRegistered(EventPayload):
    event_type = "deputy.deputy.registered.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool


class DeputyUpdated(EventPayload):
    """A deputy's public profile after a change (also sent right after registration, as version 1).

    Carries no contact details and no home coordinates: those are personal data kept by the deputy service.
    """

    event_type = "deputy.deputy.updated.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool
    organisation: str | None
    home_grid_id: str | None
    status: str
    version: int
    changed: list[str]


class DeputyRetired(EventPayload):
    """A deputy left office; the grid service ends their assignments."""

    event_type = "deputy.deputy.retired.v1"
    deputy_id: str
    code: str
    retired_on: date
    reason: str
    version: int


class VisitLogged(EventPayload):
    """A deputy logged a field visit, inspection, research visit or a visit to a supported household."""

    event_type = "deputy.visit.logged.v1"
    visit_id: str
    deputy_id: str
    kind: str
    grid_id: str | None
    occurred_at: datetime
    roles: list[str]
