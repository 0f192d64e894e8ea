import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from shared.types import CivilDate, Code, ContactPhone, EntityId, Name, SmallInt, integer, text


def _sane_year(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("must lie between the years 2000 and 2100")
    return value.astimezone(UTC)


HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _local_time(value: object) -> time:
    """A wall-clock time "HH:MM" in Asia/Shanghai (JSON Schema's `time` format would demand an offset)."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and re.fullmatch(HH_MM, value):
        return time.fromisoformat(value)
    raise ValueError('a local time "HH:MM" (Asia/Shanghai)')


Moment = Annotated[AwareDatetime, AfterValidator(_sane_year)]
"""A point in time with its offset (ISO 8601), between the years 2000 and 2100; kept in UTC."""
LocalTime = Annotated[
    time,
    PlainValidator(_local_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": HH_MM, "examples": ["09:00"]}),
]
MeetingUrl = Annotated[str, StringConstraints(pattern=r"^https?://[!-~]{1,290}$")]
Capacity = integer(1, 500)
RRule = Annotated[
    str,
    StringConstraints(pattern=r"^(RRULE:)?[A-Z0-9=;,+-]{1,290}$"),
    Field(description="An RFC 5545 RRULE value, e.g. FREQ=MONTHLY;BYMONTHDAY=9,19 or FREQ=WEEKLY;BYDAY=MO"),
]
Topic = text(200, 1)
LongText = text(4000)


class StationTier(StrEnum):
    main = "main"
    township = "township"
    area = "area"


class SessionMode(StrEnum):
    station = "station"  # at the station (站内)
    outside = "outside"  # outside the station, at a place (站外)
    online = "online"  # online, at a meeting address


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


class BookingKind(StrEnum):
    booked = "booked"
    walk_in = "walk_in"


class BookingStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    attended = "attended"
    cancelled = "cancelled"
    session_cancelled = "session_cancelled"


class IssueKind(StrEnum):
    """The kinds case intake knows (诉求, 矛盾纠纷, 建议, 社情民意)."""

    request = "request"
    dispute = "dispute"
    suggestion = "suggestion"
    opinion = "opinion"


class IssueCategory(StrEnum):
    """The categories case intake knows."""

    water = "water"
    roads = "roads"
    rivers = "rivers"
    parking = "parking"
    sanitation = "sanitation"
    old_compound = "old_compound"
    land = "land"
    neighbours = "neighbours"
    family = "family"
    social_assistance = "social_assistance"
    other = "other"


class Outcome(StrEnum):
    answered = "answered"  # answered on the spot (当面答)
    follow_up = "follow_up"  # needs follow-up: a linked case is opened


class FollowUpRoute(StrEnum):
    township = "township"  # referred to the township
    city_organs = "city_organs"  # forwarded to city organs
    suggestion = "suggestion"  # turned into a formal deputy suggestion (代表建议)


# --- stations -------------------------------------------------------------------------------------------


class OpeningWindowIn(BaseModel):
    """Open on an ISO weekday (1 = Monday) or on a day of the month, from `opens` to `closes` (Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)
    weekday: integer(1, 7) | None = None
    month_day: integer(1, 31) | None = None
    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _one_day_kind(self) -> "OpeningWindowIn":
        if (self.weekday is None) == (self.month_day is None):
            raise ValueError("give either weekday or month_day")
        if self.opens >= self.closes:
            raise ValueError("opens must come before closes")
        return self


class OpeningHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    windows: Annotated[list[OpeningWindowIn], Field(max_length=40)]


class StationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    tier: StationTier
    township_grid_id: EntityId | None = None
    address: text(200, 1)  # type: ignore[valid-type]
    voters_served: SmallInt | None = None
    opening_hours: text(60, 1)  # type: ignore[valid-type]
    notice_days: integer(0, 60) = 3
    served_grid_ids: Annotated[list[EntityId], Field(max_length=100)] = []
    hours: Annotated[list[OpeningWindowIn], Field(max_length=40)] = []


class StationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    tier: StationTier
    township_grid_id: str | None
    address: str
    voters_served: int | None
    opening_hours: str
    notice_days: int
    served_grid_ids: list[str]
    hours: list[OpeningWindowIn]
    is_demo: bool
    created_at: datetime


# --- sessions -------------------------------------------------------------------------------------------


class AgencyStaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation: text(120, 1)  # type: ignore[valid-type]
    role: text(120, 1)  # type: ignore[valid-type]


class Venue(BaseModel):
    """Where a session takes place: `place` for outside sessions, `meeting_url` for online ones."""

    model_config = ConfigDict(extra="forbid")
    mode: SessionMode = SessionMode.station
    place: text(200, 1) | None = None  # type: ignore[valid-type]
    meeting_url: MeetingUrl | None = None

    @model_validator(mode="after")
    def _venue_matches_mode(self) -> "Venue":
        if self.mode == SessionMode.outside and not self.place:
            raise ValueError("a session outside the station needs its place")
        if self.mode == SessionMode.online and not self.meeting_url:
            raise ValueError("an online session needs its meeting address")
        return self


class SessionCreate(Venue):
    station_id: EntityId
    starts_at: Moment
    ends_at: Moment
    capacity: Capacity
    topic: Topic  # type: ignore[valid-type]
    deputy_ids: Annotated[list[EntityId], Field(min_length=1, max_length=20)]
    agency_staff: Annotated[list[AgencyStaffIn], Field(max_length=20)] = []
    short_notice_reason: text(300, 1) | None = Field(  # type: ignore[valid-type]
        default=None, description="Why the session is announced later than the station's notice period"
    )

    @model_validator(mode="after")
    def _sane_span(self) -> "SessionCreate":
        span = (self.ends_at - self.starts_at).total_seconds()
        if not 0 < span <= 12 * 3600:
            raise ValueError("ends_at must come after starts_at, within 12 hours")
        if len(set(self.deputy_ids)) != len(self.deputy_ids):
            raise ValueError("a deputy is named twice")
        return self


class SessionCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: text(500, 1)  # type: ignore[valid-type]


class DutyRead(BaseModel):
    deputy_id: str
    name: str
    linked: bool


class AgencyStaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    organisation: str
    role: str
    joined_at: datetime


class SessionRead(BaseModel):
    """A session as announced: no visitor appears in it, only how many places are taken."""

    id: str
    station_id: str
    rota_id: str | None
    mode: SessionMode
    place: str | None
    meeting_url: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topic: str
    status: SessionStatus
    deputies: list[DutyRead]
    agency_staff: list[AgencyStaffRead]
    confirmed: int
    waitlisted: int
    warnings: list[str]
    cancel_reason: str | None
    created_at: datetime
    held_at: datetime | None
    cancelled_at: datetime | None


# --- bookings -------------------------------------------------------------------------------------------


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: Topic  # type: ignore[valid-type]
    waitlist: StrictBool = Field(default=True, description="Join the waitlist when the session is full (else 409)")


class WalkInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: Topic  # type: ignore[valid-type]
    visitor_name: text(60, 1) | None = None  # type: ignore[valid-type]
    visitor_phone: ContactPhone | None = None


class FollowUpRead(BaseModel):
    """An issue this visitor raised that is followed up: the linked case's tracking code and progress."""

    model_config = ConfigDict(from_attributes=True)
    record_id: str = Field(validation_alias="id")
    summary: str
    route: FollowUpRoute
    case_tracking_code: str | None
    case_status: str | None


class BookingRead(BaseModel):
    """A booking as its villager (or station staff) sees it; `place` is the position on the waitlist.

    `follow_ups` are the issues raised at the session that became cases, so the villager can follow them.
    """

    id: str
    session_id: str
    kind: BookingKind
    topic: str
    status: BookingStatus
    place: int | None
    notice: str | None
    visitor_name_masked: str | None
    visitor_phone_masked: str | None
    follow_ups: list[FollowUpRead]
    created_at: datetime
    changed_at: datetime


class SessionFacts(BaseModel):
    """A session's public facts, as its announcement gives them: where, when, about what."""

    id: str
    station_id: str
    station_name: str
    mode: SessionMode
    place: str | None
    meeting_url: str | None
    starts_at: datetime
    ends_at: datetime
    topic: str
    status: SessionStatus


class MyBookingRead(BookingRead):
    """One of the caller's bookings, with the session it is for."""

    session: SessionFacts


class StationPersonalData(BaseModel):
    """Everything the station service keeps under the caller's account (their part of GET /api/me/data)."""

    account_id: str
    bookings: list[MyBookingRead] = Field(description="Every booking the account made, the oldest first")


# --- reception records ----------------------------------------------------------------------------------


class RecordCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    booking_id: EntityId | None = Field(default=None, description="The visitor; without it a walk-in is registered")
    grid_id: EntityId = Field(description="The visitor's village group or compound (lowest grid level)")
    kind: IssueKind
    category: IssueCategory
    raised: text(4000, 1)  # type: ignore[valid-type]
    discussed: LongText = ""  # type: ignore[valid-type]
    answer: LongText = ""  # type: ignore[valid-type]
    outcome: Outcome
    route: FollowUpRoute | None = None
    summary: text(300, 1) = Field(  # type: ignore[valid-type]
        description="A public summary without names or phone numbers (digit runs, and the visitor's name and "
        "number given at the desk, are masked)"
    )

    @model_validator(mode="after")
    def _route_with_follow_up(self) -> "RecordCreate":
        if self.outcome == Outcome.follow_up and self.route is None:
            raise ValueError("a follow-up needs its route")
        if self.outcome == Outcome.answered and self.route is not None:
            raise ValueError("an issue answered on the spot has no follow-up route")
        if self.outcome == Outcome.answered and not self.answer:
            raise ValueError("give the answer given on the spot")
        return self


class RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    session_id: str
    station_id: str
    booking_id: str
    grid_id: str
    kind: IssueKind
    category: IssueCategory
    raised: str
    discussed: str
    answer: str
    outcome: Outcome
    route: FollowUpRoute | None
    summary: str
    case_id: str | None
    case_tracking_code: str | None
    case_status: str | None
    case_updated_at: datetime | None
    recorded_at: datetime


# --- rotas ----------------------------------------------------------------------------------------------


class RotaCreate(Venue):
    station_id: EntityId
    rule: RRule
    starts_on: CivilDate
    ends_on: CivilDate
    start_time: LocalTime = Field(description="Local time (Asia/Shanghai) each session starts")
    duration_minutes: integer(15, 720)
    capacity: Capacity
    topic: Topic  # type: ignore[valid-type]
    deputies_per_session: integer(1, 10) = 2
    deputy_ids: Annotated[list[EntityId], Field(max_length=200)] = Field(
        default=[], description="The rotation pool, in order; empty: the deputies of the grids the station serves"
    )

    @model_validator(mode="after")
    def _window(self) -> "RotaCreate":
        if not 0 <= (self.ends_on - self.starts_on).days <= 366:
            raise ValueError("ends_on must come after starts_on, within 366 days")
        return self


class SkippedDay(BaseModel):
    day: date
    reason: str


class RotaRead(BaseModel):
    id: str
    station_id: str
    rule: str
    starts_on: date
    ends_on: date
    start_time: LocalTime
    duration_minutes: int
    mode: SessionMode
    capacity: int
    topic: str
    deputies_per_session: int
    pool: list[str]
    session_ids: list[str]
    skipped: list[SkippedDay]
    created_at: datetime


# --- statistics -----------------------------------------------------------------------------------------


class StationStatistics(BaseModel):
    """Receptions at one station over a period (days in Asia/Shanghai, both ends included)."""

    station_id: str
    station_name: str
    date_from: date
    date_to: date
    sessions_held: int
    sessions_cancelled: int
    visitors: int
    issues_raised: int
    answered_on_the_spot: int
    followed_up: int
    follow_ups_resolved: int
    resolved: int = Field(description="answered on the spot + follow-ups whose case was resolved or closed")
