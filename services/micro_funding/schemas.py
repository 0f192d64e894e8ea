"""Fund pool, ledger and project schemas (the OpenAPI contract).

Money travels as a string of yuan with two decimals and is kept as integer fen (the rules: `domain.money`).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from services.micro_funding.domain.money import (
    MONEY_PATTERN,
    POSITIVE_MONEY_PATTERN,
    format_fen,
    to_fen,
    to_positive_fen,
)
from shared.types import CivilDate, EntityId, Name, SmallInt, distinct, integer, text

_MONEY_SCHEMA = {
    "type": "string",
    "pattern": MONEY_PATTERN,
    "examples": ["2000000.00"],
    "description": "An amount in yuan with at most two decimals (fen).",
}


_POSITIVE_MONEY_SCHEMA = {
    **_MONEY_SCHEMA,
    "pattern": POSITIVE_MONEY_PATTERN,
    "description": "A positive amount in yuan with at most two decimals (fen), no leading zeros.",
}


_AS_YUAN = PlainSerializer(format_fen, return_type=str)
Money = Annotated[int, PlainValidator(to_fen), _AS_YUAN, WithJsonSchema(_MONEY_SCHEMA)]
"""Money in a request: a decimal string in, integer fen in Python, the two-decimal string out."""
PositiveMoney = Annotated[int, PlainValidator(to_positive_fen), _AS_YUAN, WithJsonSchema(_POSITIVE_MONEY_SCHEMA)]
"""An amount that moves money (a budget line, a disbursement, a release): more than zero."""
StoredMoney = Annotated[int, _AS_YUAN, WithJsonSchema(_MONEY_SCHEMA)]
"""Money read from storage: integer fen in, the two-decimal string out."""
Year = integer(2000, 2100)


class FundPoolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: Year
    name: Name
    total: Money
    service_cap: Money
    goods_cap: Money
    works_cap: Money


class FundPoolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    year: int
    name: str
    total: StoredMoney = Field(validation_alias="total_fen")
    service_cap: StoredMoney = Field(validation_alias="service_cap_fen")
    goods_cap: StoredMoney = Field(validation_alias="goods_cap_fen")
    works_cap: StoredMoney = Field(validation_alias="works_cap_fen")
    is_demo: bool
    created_at: datetime


# ---------------------------------------------------------------- ledger

NoteText = text(500)
LongText = text(4000, 1)
Reason = text(1000, 1)
Month = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]


class EntryKindName(StrEnum):
    appropriation = "appropriation"
    allocation = "allocation"
    disbursement = "disbursement"
    release = "release"


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    seq: int
    pool_id: str
    project_id: str | None
    kind: EntryKindName
    amount: StoredMoney = Field(validation_alias="amount_fen")
    pool_available: StoredMoney = Field(validation_alias="pool_available_fen")
    project_balance: StoredMoney | None = Field(validation_alias="project_balance_fen")
    note: str
    reference: str
    actor: str
    at: datetime


class Reconciliation(BaseModel):
    """The pool's books replayed entry by entry: `balanced` is true when every check below holds.

    appropriated == available + held + disbursed; no balance ever went below zero; the balances kept
    beside each entry equal the replayed ones; each funded project holds exactly its approved budget.
    """

    pool_id: str
    entries: int
    appropriated: StoredMoney
    allocated: StoredMoney
    disbursed: StoredMoney
    released: StoredMoney
    available: StoredMoney
    held: StoredMoney
    funded_projects: int
    balanced: bool
    problems: list[str]


class DisbursementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: PositiveMoney
    purpose: text(500, 1)
    reference: text(120) = ""


class ReleaseCreate(BaseModel):
    """Give unspent allocation back to the pool; without `amount`, all that is left."""

    model_config = ConfigDict(extra="forbid")
    amount: PositiveMoney | None = None
    note: NoteText = ""


# ---------------------------------------------------------------- projects


class ProjectKind(StrEnum):
    service = "service"
    goods = "goods"
    works = "works"


class ProjectStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    screened = "screened"
    deliberated = "deliberated"
    in_notice = "in_notice"
    funded = "funded"
    in_progress = "in_progress"
    accepted = "accepted"
    evaluated = "evaluated"
    published = "published"
    rejected = "rejected"
    withdrawn = "withdrawn"


class BudgetLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: text(200, 1)
    amount: PositiveMoney


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: text(200, 1)
    due_on: CivilDate


class ProjectDraft(BaseModel):
    """A deputy's proposal. The grids are village or group grids; the cases are villagers' cases it answers."""

    model_config = ConfigDict(extra="forbid")
    pool_id: EntityId
    kind: ProjectKind
    title: Name
    description: LongText
    beneficiaries: text(500, 1) = Field(description="Who benefits, in words (no names): e.g. 湘韶村第3组 42 户")
    beneficiary_count: SmallInt
    grid_ids: Annotated[distinct(EntityId, 10), Field(min_length=1)]
    case_ids: Annotated[distinct(EntityId, 50), Field(min_length=1)]
    budget_lines: list[BudgetLineIn] = Field(min_length=1, max_length=50)
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=20)
    suggestion_id: EntityId | None = Field(
        None, description="The deputies' suggestion (GET /api/deputy/suggestions/{id}) the project carries out, if any"
    )


class BudgetLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item: str
    amount: StoredMoney = Field(validation_alias="amount_fen")


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    title: str
    due_on: date
    done_on: date | None


class ProjectSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    pool_id: str
    deputy_id: str
    kind: ProjectKind
    title: str
    status: ProjectStatus
    budget: StoredMoney = Field(validation_alias="budget_fen")
    progress_percent: int
    notice_ends_at: datetime | None
    updated_at: datetime
    version: int


class ProjectMoney(BaseModel):
    """A project's money as its ledger says: allocated, disbursed, released, and the balance left."""

    allocated: StoredMoney = 0
    disbursed: StoredMoney = 0
    released: StoredMoney = 0
    balance: StoredMoney = 0


class ProjectRead(ProjectSummary):
    description: str
    beneficiaries: str
    beneficiary_count: int
    status_reason: str | None
    screening_note: str | None
    review: str | None
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    notice_days: int | None
    acceptance_report: str | None
    rating_count: int
    rating_average: float | None
    grid_ids: list[str]
    village_ids: list[str]
    case_ids: list[str] = Field(
        description="The villagers' cases it answers: for the proposing deputy, station staff and the NPC office; "
        "empty for other officials"
    )
    budget_lines: list[BudgetLineRead]
    milestones: list[MilestoneRead]
    money: ProjectMoney
    suggestion_id: str | None = Field(None, description="The deputies' suggestion it carries out, if it cites one")
    created_at: datetime


class ScreeningDecision(StrEnum):
    passed = "pass"
    rejected = "reject"


class ScreeningCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: ScreeningDecision
    note: text(1000) = ""


class DeliberationCreate(BaseModel):
    """The NPC office's review and the vote (passes with more votes for than against)."""

    model_config = ConfigDict(extra="forbid")
    review: LongText
    votes_for: SmallInt
    votes_against: SmallInt
    votes_abstain: SmallInt = 0


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: integer(1, 60) = Field(default=7, description="How long the public notice runs")


class ActionNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: text(1000) = ""


class ReasonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Reason


class ObjectionRuling(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upheld: StrictBool
    note: Reason


class ObjectionRulings(BaseModel):
    """One ruling on several objections to one project (e.g. dismissing a flood of them with one note)."""

    model_config = ConfigDict(extra="forbid")
    objection_ids: Annotated[distinct(EntityId, 200), Field(min_length=1)]
    upheld: StrictBool
    note: Reason


class ObjectionRead(BaseModel):
    """An objection as officials see it: never who raised it."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    text: str
    status: str
    ruling: str | None
    raised_at: datetime
    ruled_at: datetime | None


class ObjectionRulingsRead(BaseModel):
    """The objections asked about, in the order asked, as they now are; `ruled`: how many this request ruled
    (the others had been ruled the same way before)."""

    items: list[ObjectionRead]
    ruled: int


class ProgressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: Month
    percent: integer(0, 100)
    note: Reason
    completed_milestone_ids: list[EntityId] = Field(default_factory=list, max_length=20)


class ProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    month: str
    percent: int
    note: str
    at: datetime


class AcceptanceCreate(BaseModel):
    """The acceptance (验收) report."""

    model_config = ConfigDict(extra="forbid")
    report: LongText


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: integer(1, 5)
    comment: NoteText = ""


class RatingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    score: int
    comment: str
    at: datetime


class MyObjectionRead(ObjectionRead):
    """One of the caller's objections, with the project it was about."""

    project_title: str


class MyRatingRead(RatingRead):
    """One of the caller's ratings, with the project it rated."""

    project_title: str


class FundingPersonalData(BaseModel):
    """Everything micro-funding keeps under the caller's account (their part of GET /api/me/data)."""

    account_id: str
    objections: list[MyObjectionRead] = Field(description="Every objection the account raised, the oldest first")
    ratings: list[MyRatingRead] = Field(description="Every rating the account gave, the oldest first")


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    version: int
    from_status: ProjectStatus | None
    to_status: ProjectStatus
    role: str
    note: str
    at: datetime


class PublicProject(BaseModel):
    """What anyone may see of a project: no names, no accounts, no cited cases; phone and identity numbers in
    the text masked."""

    id: str
    kind: ProjectKind
    title: str
    description: str
    beneficiaries: str
    beneficiary_count: int
    status: ProjectStatus
    village_ids: list[str]
    village_names: list[str]
    budget: StoredMoney
    allocated: StoredMoney
    spent: StoredMoney
    progress_percent: int
    milestones_done: int
    milestones_total: int
    rating_average: float | None
    rating_count: int
    notice_ends_at: datetime | None
    updated_at: datetime
