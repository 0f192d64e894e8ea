"""station.session.*, station.booking.*, station.issue.*: receptions (published by
station_scheduling)."""

from datetime import datetime

from shared.messaging.catalogue.base import EventPayload


class SessionScheduled(EventPayload):
    """A reception session was announced at a liaison station: when, how (station, outside, online), who is on duty."""

    event_type = "station.session.scheduled.v1"
    session_id: str
    station_id: str
    mode: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topic: str
    deputy_ids: list[str]
    organisations: list[str]
    rota_id: str | None = None


class SessionCancelled(EventPayload):
    """A reception session was cancelled; `booking_ids` are the bookings that got the notice (no villager named)."""

    event_type = "station.session.cancelled.v1"
    session_id: str
    station_id: str
    starts_at: datetime
    reason: str
    deputy_ids: list[str]
    booking_ids: list[str]
    at: datetime
    owner_ids: list[str] = []
    """The accounts (token subjects) whose bookings got the notice, so they are told (ids only; walk-ins have none)."""


class SessionHeld(EventPayload):
    """A reception session took place, with these deputies on duty (a reception for their performance record)."""

    event_type = "station.session.held.v1"
    session_id: str
    station_id: str
    starts_at: datetime
    deputy_ids: list[str]
    at: datetime


class BookingMade(EventPayload):
    """A place at a session was booked (`confirmed` or `waitlisted`) or a walk-in registered (`attended`)."""

    event_type = "station.booking.made.v1"
    booking_id: str
    session_id: str
    station_id: str
    kind: str
    status: str
    at: datetime
    owner_id: str | None = None
    """The account (token subject) that booked, so it is told; None for a walk-in. An id, never a name or phone."""
    starts_at: datetime | None = None


class BookingPromoted(EventPayload):
    """A place freed up and the first on the waitlist now has it (`confirmed`): the account that booked is told."""

    event_type = "station.booking.promoted.v1"
    booking_id: str
    session_id: str
    station_id: str
    owner_id: str | None
    starts_at: datetime
    at: datetime


class StationIssueRaised(EventPayload):
    """An issue raised face to face at a station that needs follow-up (当面提, not settled on the spot).

    Case intake opens a case with the id `case_id` (channel `station`, in group grid `grid_id`), once: a repeat
    of this event must not open a second case. The case events that carry that id show the case's progress on
    the station's record `record_id`. `summary` is public and carries no names or phone numbers; `route` is
    township, city_organs or suggestion; `deputy_ids` are the deputies who received the visitor.
    """

    event_type = "station.issue.raised.v1"
    record_id: str
    case_id: str
    station_id: str
    session_id: str
    grid_id: str
    kind: str
    category: str
    route: str
    summary: str
    deputy_ids: list[str]
    raised_at: datetime


STATION_EVENTS: tuple[type[EventPayload], ...] = (
    SessionScheduled,
    SessionCancelled,
    SessionHeld,
    BookingMade,
    BookingPromoted,
    StationIssueRaised,
)
