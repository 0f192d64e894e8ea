from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints, computed_field

from shared.types import CivilDate, Code, EntityId, LatLon, Name, SmallInt, distinct, text


class DeputyLevel(StrEnum):
    city = "city"
    township = "township"
    both = "both"


class DeputyStatus(StrEnum):
    active = "active"
    retired = "retired"


class FiveRole(StrEnum):
    """The five roles (五员) a deputy plays; every activity carries one or more of them as tags."""

    supervisor = "supervisor"  # 监督员
    publicist = "publicist"  # 宣传员
    informant = "informant"  # 信息员
    mediator = "mediator"  # 调解员
    servant = "servant"  # 服务员


class FiveOne(StrEnum):
    """The five ones (五个一) each deputy is expected to do every year."""

    suggestion = "suggestion"  # 提一条好建议
    inspection = "inspection"  # 参加一次视察或调研
    dispute = "dispute"  # 化解一起矛盾纠纷
    household = "household"  # 帮扶一户困难家庭
    livelihood = "livelihood"  # 推动一件民生实事


class EntryKind(StrEnum):
    """What a deputy logs in person; case, mediation and other services' work arrives by events."""

    field_visit = "field_visit"
    inspection = "inspection"
    research = "research"
    suggestion = "suggestion"
    livelihood_matter = "livelihood_matter"
    reception = "reception"
    publicity = "publicity"
    other = "other"


class StatisticsLevel(StrEnum):
    city = "city"
    township = "township"
    village = "village"


Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{4,17}[0-9]$")]
Summary = text(200, 1)
Notes = text(2000)
Place = text(200)
PhotoRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9:/._%?=&#+-]{1,500}$")]


Roles = distinct(FiveRole, 5)


CLOCK_SKEW = timedelta(hours=1)


def _not_in_the_future(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone offset")
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("must not lie in the future")
    return value


PastTime = Annotated[
    datetime,
    Field(ge=datetime(2000, 1, 1, tzinfo=UTC), le=datetime(2100, 1, 1, tzinfo=UTC)),
    AfterValidator(_not_in_the_future),
]


class DeputyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    level: DeputyLevel
    district: text(120, 1)  # type: ignore[valid-type]
    council_member: StrictBool = False
    organisation: text(120) | None = None  # type: ignore[valid-type]
    contact_phone: Phone | None = Field(None, description="Personal data: full only to the office and the deputy")
    home_location: LatLon | None = Field(None, description="Personal data: for proximity, never published")
    home_grid_id: EntityId | None = Field(None, description="The group grid the deputy lives in")


class DeputyUpdate(BaseModel):
    """Absent fields stay as they are; a field sent as null is cleared (where it may be)."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    level: DeputyLevel | None = None
    district: text(120, 1) | None = None  # type: ignore[valid-type]
    council_member: StrictBool | None = None
    organisation: text(120) | None = None  # type: ignore[valid-type]
    contact_phone: Phone | None = None
    home_location: LatLon | None = None
    home_grid_id: EntityId | None = None


class DeputyRetire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retired_on: CivilDate
    reason: text(500, 1)  # type: ignore[valid-type]


class DeputyRead(BaseModel):
    """A deputy as the caller may see them: the public profile for villagers and the public; contact details
    masked for officials; full contact and home only for the office and the deputy themself."""

    id: str
    code: str
    name: str
    level: DeputyLevel
    district: str
    council_member: bool
    organisation: str | None
    status: DeputyStatus
    retired_on: date | None
    is_demo: bool
    view: Literal["public", "masked", "full"]
    contact_phone: str | None = None
    home_grid_id: str | None = None
    home_location: LatLon | None = None
    version: int | None = None


class InboxCaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    summary: str = Field(
        description="The category's code, as `category` (kept for older clients): the inbox holds none of the "
        "villager's words; the case itself has them, for those who may read it"
    )
    status: str
    submitted_at: datetime
    accept_due_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        return self.status == "assigned" and self.accept_due_at < datetime.now(UTC)


class EntryCreate(BaseModel):
    """A deputy's own entry in the record of duty: a field visit (time, place, GPS, photos, notes), an
    inspection or research visit, a suggestion, a livelihood matter done, reception duty, publicity work."""

    model_config = ConfigDict(extra="forbid")
    kind: EntryKind
    occurred_at: PastTime
    summary: Summary  # type: ignore[valid-type]
    notes: Notes = ""  # type: ignore[valid-type]
    place: Place = ""  # type: ignore[valid-type]
    location: LatLon | None = Field(None, description="GPS position where it happened")
    grid_id: EntityId | None = Field(None, description="Defaults to the deputy's home grid")
    roles: Roles = Field(default_factory=list, description="Defaults by kind")
    photos: Annotated[list[PhotoRef], Field(max_length=9)] = Field(default_factory=list)
    visitors: SmallInt = Field(0, description="Reception duty: how many visitors were received")


class HouseholdVisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occurred_at: PastTime
    summary: Summary  # type: ignore[valid-type]
    notes: Notes = ""  # type: ignore[valid-type]
    location: LatLon | None = None
    roles: Roles = Field(default_factory=list)
    photos: Annotated[list[PhotoRef], Field(max_length=9)] = Field(default_factory=list)


class DutyRecordRead(BaseModel):
    """An entry of the record of duty. The public sees what, when and where (grid); notes, place, GPS, photos
    and case links only the deputy, the office and station staff see."""

    id: str
    deputy_id: str
    kind: str
    source: Literal["entry", "event"]
    roles: list[FiveRole]
    occurred_at: datetime
    grid_id: str | None
    summary: str
    five_one: FiveOne | None
    visitors: int | None = None
    notes: str | None = None
    place: str | None = None
    location: LatLon | None = None
    photos: list[str] | None = None
    case_id: str | None = None
    pair_id: str | None = None


class SupportPairCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household: text(120, 1) = Field(description="Personal data: who is supported (e.g. 王某某户)")  # type: ignore[valid-type]
    need: text(200, 1) = Field(description="The difficulty: illness, disability, elderly living alone ...")  # type: ignore[valid-type]
    grid_id: EntityId | None = None
    starts_on: CivilDate


class SupportPairEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ends_on: CivilDate


class SupportPairRead(BaseModel):
    id: str
    deputy_id: str
    household: str
    need: str
    grid_id: str | None
    starts_on: date
    ends_on: date | None


class FiveOneItem(BaseModel):
    item: FiveOne
    done: bool
    evidence: list[DutyRecordRead]


class FiveOnes(BaseModel):
    deputy_id: str
    year: int
    done: int
    items: list[FiveOneItem]


class BehindDeputy(BaseModel):
    deputy_id: str
    code: str
    name: str
    district: str
    done: int
    missing: list[FiveOne]


class BehindPage(BaseModel):
    items: list[BehindDeputy]
    total: int
    limit: int
    offset: int
    year: int


class StatisticsRow(BaseModel):
    grid_id: str | None = Field(description="None: the whole city, or facts whose grid is not known")
    grid_name: str | None
    suggestions: int
    disputes_mediated: int
    households_supported: int
    livelihood_matters: int
    visitors_received: int
    issues_resolved: int


class Statistics(BaseModel):
    """Figures of a date range (China time, both days included) for a place, and broken down one level lower."""

    date_from: date
    date_to: date
    level: StatisticsLevel
    total: StatisticsRow
    rows: list[StatisticsRow]
