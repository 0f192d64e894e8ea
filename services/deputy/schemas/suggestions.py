"""Requests and answers of deputies' suggestions (代表建议): the OpenAPI contract of api/suggestions.py."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shared.types import CivilDate, Code, EntityId, distinct, text


class SuggestionKind(StrEnum):
    suggestion = "suggestion"  # 建议
    criticism = "criticism"  # 批评
    opinion = "opinion"  # 意见


class AnswerClass(StrEnum):
    solved = "solved"  # 解决或采纳
    planned = "planned"  # 列入计划逐步解决
    cannot_now = "cannot_now"  # 因条件限制暂不能解决 (with the reason)
    reference = "reference"  # 留作参考


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


class ContactMethod(StrEnum):
    in_person = "in_person"  # 面商
    phone = "phone"  # 电话
    written = "written"  # 书面


Reason = text(1000, 1)
Long = text(8000, 1)
OrgCode = Code


class EvidenceRef(BaseModel):
    """A case in the lead deputy's inbox (`case`), or an entry of their record of duty (`record`: a reception
    record, a visitor received, a visit)."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["case", "record"]
    id: EntityId


class SuggestionDraft(BaseModel):
    """A suggestion as its lead deputy writes it (a later edit sends it whole again)."""

    model_config = ConfigDict(extra="forbid")
    title: text(200, 1)  # type: ignore[valid-type]
    problem: Long  # type: ignore[valid-type]
    proposal: Long  # type: ignore[valid-type]
    kind: SuggestionKind = SuggestionKind.suggestion
    grid_ids: distinct(EntityId, 20) = Field(default_factory=list)  # type: ignore[valid-type]
    cosigner_ids: distinct(EntityId, 30) = Field(  # type: ignore[valid-type]
        default_factory=list, description="Other deputies who sign it (附议) before it is submitted"
    )
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=30)


class SuggestionReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason  # type: ignore[valid-type]


class SuggestionMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into_id: EntityId
    reason: Reason  # type: ignore[valid-type]


class SuggestionAssign(BaseModel):
    """The lead organisation (主办) and co-organisations (协办), as case intake's organisation codes."""

    model_config = ConfigDict(extra="forbid")
    lead_organisation: OrgCode
    co_organisations: distinct(OrgCode, 10) = Field(default_factory=list)  # type: ignore[valid-type]
    broad: StrictBool = Field(False, description="Broad and difficult: six months to answer instead of three")
    due_on: CivilDate | None = Field(None, description="An earlier due day than the law's (China date)")


class SuggestionOpinionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Long  # type: ignore[valid-type]


class SuggestionAnswerBody(BaseModel):
    """The lead organisation's written answer: its class, the measures and the day they are promised by."""

    model_config = ConfigDict(extra="forbid")
    answer_class: AnswerClass
    text: Long  # type: ignore[valid-type]
    measures: text(4000) = ""  # type: ignore[valid-type]
    promised_on: CivilDate | None = Field(None, description="Required in class planned")
    reason: text(1000) = Field("", description="Required in class cannot_now: why not now")  # type: ignore[valid-type]


class SuggestionContact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: ContactMethod
    on: CivilDate


class SuggestionRate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Rating
    reason: text(1000) = Field("", description="Required when dissatisfied")  # type: ignore[valid-type]


class SuggestionRehandle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason  # type: ignore[valid-type]
    due_on: CivilDate | None = Field(None, description="Earlier than the default month")


class SuggestionDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: Reason  # type: ignore[valid-type]


class SuggestionPublication(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public: StrictBool


class SuggestionDeputy(BaseModel):
    deputy_id: str
    name: str
    lead: bool
    signed: bool


class SuggestionEvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    source: str
    ref_id: str
    kind: str
    summary: str = Field(description="The public summary only: a case's category, a record's redacted summary")
    grid_id: str | None
    occurred_at: datetime


class SuggestionAnswerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    round: int
    organisation: str
    due_at: datetime
    answer_class: AnswerClass | None
    text: str | None
    measures: str | None
    reason: str | None
    promised_on: date | None
    answered_at: datetime | None
    on_time: bool | None = Field(description="Answered by the due time; None while unanswered")
    contact_method: ContactMethod | None
    contacted_on: date | None
    rating: Rating | None
    rating_reason: str | None
    rated_at: datetime | None


class SuggestionOpinionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    round: int
    organisation: str
    text: str
    at: datetime


class SuggestionProjectRead(BaseModel):
    """A micro-project (民生微实事) carrying the suggestion out: its proposal cites it (micro_funding)."""

    model_config = ConfigDict(from_attributes=True)
    project_id: str
    title: str
    status: str = Field(description="How far it went when last heard of: submitted, then completed")
    proposed_at: datetime
    completed_at: datetime | None


class SuggestionSummary(BaseModel):
    """What the public list shows of a suggestion: title, deputies, organisations, class, rating and dates."""

    id: str
    title: str
    kind: SuggestionKind
    state: str
    deputies: list[SuggestionDeputy]
    lead_organisation: str | None
    co_organisations: list[str]
    answer_class: AnswerClass | None
    rating: Rating | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    assigned_at: datetime | None
    answered_at: datetime | None
    completed_at: datetime | None
    due_at: datetime | None
    overdue: bool


class SuggestionRead(SuggestionSummary):
    """A suggestion in full, for its deputies, the office and the organisations it is assigned to (and the
    public, once accepted and published, without the evidence and the opinions)."""

    problem: str
    proposal: str
    grid_ids: list[str]
    broad: bool
    public: bool
    reason: str | None = Field(description="Why it was returned, merged, sent back or concluded (latest)")
    merged_into_id: str | None
    round: int
    done_report: str | None
    evidence: list[SuggestionEvidenceRead]
    answers: list[SuggestionAnswerRead]
    opinions: list[SuggestionOpinionRead]
    projects: list[SuggestionProjectRead] = Field(
        default_factory=list, description="The micro-projects whose proposals cite it, and their completion"
    )
    created_at: datetime
    updated_at: datetime


class BoardRow(BaseModel):
    organisation: str
    assigned: int
    open: int
    overdue: int
    answered: int
    answered_on_time: int
    satisfied: int = Field(description="Rated satisfied or basically satisfied (latest rating)")
    dissatisfied: int
    solved: int
    planned_late: int = Field(description="Planned measures past their promised day, not reported done")


class SuggestionBoard(BaseModel):
    """The office's board of a year's suggestions (by the day submitted): by state, and by lead organisation
    with the rates an annual report needs."""

    year: int
    by_state: dict[str, int]
    total: BoardRow
    by_organisation: list[BoardRow]
