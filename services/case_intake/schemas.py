from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.types import EntityId, text


class CaseKind(StrEnum):
    request = "request"
    dispute = "dispute"
    suggestion = "suggestion"
    opinion = "opinion"


class CaseCategory(StrEnum):
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


class Channel(StrEnum):
    pwa = "pwa"
    phone = "phone"
    walk_in = "walk_in"
    field_visit = "field_visit"
    station = "station"
    open311 = "open311"


Phone = Field(default=None, pattern=r"^\+?[0-9]{5,15}$")


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: CaseKind
    category: CaseCategory
    description: text(4000, 1)  # type: ignore[valid-type]
    grid_id: EntityId
    channel: Channel = Channel.pwa
    contact_phone: str | None = Phone


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_status: str | None
    to_status: str
    reason: str
    at: datetime


class CaseRead(BaseModel):
    """A case as its filer and those handling it see it; the contact phone is never returned in full."""

    id: str
    tracking_code: str
    kind: CaseKind
    category: CaseCategory
    description: str
    grid_id: str
    channel: Channel
    status: str
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    contact_phone_masked: str | None
    timeline: list[TransitionRead]
