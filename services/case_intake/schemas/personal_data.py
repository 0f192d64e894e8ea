"""What case intake keeps about the caller (GET /me/data, the right of access of PIPL), as the gateway's
`GET /api/me/data` puts it in the caller's download: their cases as they see them (with their full contact:
they gave it), the photos by id and size, their "me too"s and ratings, and every step, referral and
mediation session kept under their account."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from services.case_intake.schemas.cases import CaseRead, ContactRead
from services.case_intake.schemas.common import Rating


class MyCase(CaseRead):
    """One of the caller's cases as its filer sees it (GET /cases/{id}), with what they gave and wrote."""

    contact: ContactRead = Field(description="The contact given with the case, in full")
    rating_comment: str | None = Field(description="The comment given with the rating (numbers masked)")
    closed_at: datetime | None


class MyPhoto(BaseModel):
    """A photo the caller uploaded or one of their cases holds: its id and size (GET /photos/{id} serves it)."""

    id: str
    case_id: str | None = Field(description="The case it is attached to; null while no filing took it")
    width: int
    height: int
    bytes: int
    uploaded_at: datetime
    attached_at: datetime | None


class MyRecording(BaseModel):
    """A voice note the caller uploaded or one of their cases holds: its id, length and size (GET /recordings/{id}
    serves it)."""

    id: str
    case_id: str | None = Field(description="The case it is attached to; null while no filing took it")
    content_type: str
    duration_ms: int
    bytes: int
    uploaded_at: datetime
    attached_at: datetime | None


class MySupport(BaseModel):
    """A "me too" of the caller, or a case of theirs merged into this one as a duplicate (`from_merge`)."""

    case_id: str
    at: datetime
    from_merge: bool
    origin_case_id: str | None = Field(description="The caller's own case that was merged into this one")


class MyRating(BaseModel):
    """The caller's word on a resolution of their case."""

    case_id: str
    rating: Rating
    comment: str | None
    at: datetime | None


class MyStep(BaseModel):
    """A step the caller took on any case's timeline (a filing, a "me too", a confirmation; an official's
    work): the service's sentence and, in `note`, their own words."""

    case_id: str
    action: str
    from_status: str | None
    to_status: str
    reason: str
    note: str | None
    at: datetime


class MyReferral(BaseModel):
    """A referral the caller sent (their question) or answered for their organisation (their answer)."""

    id: str
    case_id: str
    organisation: str
    created_at: datetime
    question: str | None = Field(description="Their question, if they sent it")
    answered_at: datetime | None
    answer: str | None = Field(description="Their answer, if they gave it")


class MyMediation(BaseModel):
    """A mediation session the caller recorded (its record names the parties: read it in the case's file)."""

    id: str
    case_id: str
    held_on: date
    created_at: datetime


class MyData(BaseModel):
    """Everything case intake keeps under the caller's account; nothing of anybody else's but what the caller
    may read anyway (their cases' timelines as they see them)."""

    account: str = Field(description="The access token's subject")
    cases: list[MyCase]
    photos: list[MyPhoto]
    recordings: list[MyRecording]
    supports: list[MySupport]
    ratings: list[MyRating]
    steps: list[MyStep]
    referrals: list[MyReferral]
    mediation_sessions: list[MyMediation]
