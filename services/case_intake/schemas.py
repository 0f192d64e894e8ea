from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.case_intake.domain.lifecycle import CaseStatus
from shared.types import CivilDate, Code, ContactPhone, EntityId, LatLon, distinct, integer, text


class CaseKind(StrEnum):
    request = "request"
    dispute = "dispute"
    suggestion = "suggestion"
    opinion = "opinion"


class Channel(StrEnum):
    pwa = "pwa"
    phone = "phone"
    walk_in = "walk_in"
    field_visit = "field_visit"
    station = "station"
    open311 = "open311"


class ContactPreference(StrEnum):
    none = "none"
    phone = "phone"
    sms = "sms"
    visit = "visit"


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


class OutOfScope(StrEnum):
    litigation = "litigation"
    arbitration = "arbitration"
    discipline = "discipline"
    administrative_review = "administrative_review"
    petition = "petition"


class OrganisationKind(StrEnum):
    government = "government"
    court = "court"
    procuratorate = "procuratorate"
    party_committee = "party_committee"


class MediationOutcome(StrEnum):
    agreement = "agreement"
    no_agreement = "no_agreement"
    adjourned = "adjourned"


class SortOrder(StrEnum):
    newest = "newest"
    due = "due"


Note = text(400)
Reason = text(400, 1)
MAX_PHOTOS = 3


PhotoIds = distinct(EntityId, MAX_PHOTOS)


PLACED = {
    "anyOf": [
        {"required": ["grid_id"], "properties": {"grid_id": {"type": "string"}}},
        {"required": ["location"], "properties": {"location": {"type": "object"}}},
    ]
}
"""The schema's words for `CaseCreate._placed`: a grid id, a location or both."""


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=PLACED)
    kind: CaseKind
    category: Code = Field(description="A code from GET /categories that admits this kind")
    description: text(4000, 1)  # type: ignore[valid-type]
    grid_id: EntityId | None = Field(None, description="The group grid; or give `location` and it is looked up")
    location: LatLon | None = Field(None, description="Where the matter is; kept on the case, never made public")
    channel: Channel = Channel.pwa
    contact_phone: ContactPhone | None = None
    contact_name: text(60) | None = None  # type: ignore[valid-type]
    contact_preference: ContactPreference = ContactPreference.none
    public: StrictBool = Field(True, description="May the case show on the village board (never with personal data)")
    urgent: StrictBool = Field(
        False, description="A safety hazard: deadlines in hours (2 to accept, 24 to resolve); staff or a deputy only"
    )
    photo_ids: PhotoIds = Field(default_factory=list, description="Up to 3 photos from POST /photos")

    @model_validator(mode="after")
    def _placed(self) -> "CaseCreate":
        if self.grid_id is None and self.location is None:
            raise ValueError("give the grid_id, the location, or both")
        return self


class TransitionRead(BaseModel):
    """One step of the timeline; `actor_role` says who (villager, deputy, office, agency, system).

    `action` is a stable code to put in words in any language (submit, route, accept, … and the notes that leave
    the status as it is: note, support, photos, extend, chase, referral_answered, …); `reason` is the step in plain
    English with the person's own words after ": ", and `note` those words alone. Internal notes (`action` note)
    are shown only to deputies and the office, never to the villager, on the tracking-code view or to agencies.
    """

    model_config = ConfigDict(from_attributes=True)
    action: str
    from_status: str | None
    to_status: str
    actor_role: str
    actor_deputy_id: str | None
    reason: str
    note: str | None = Field(None, description="What the person wrote (phone numbers masked); null if nothing")
    at: datetime


class PhotoUploaded(BaseModel):
    """A stored photo: re-encoded as JPEG, longest side at most 2048 px, no metadata; a thumbnail beside it."""

    id: str
    content_type: str = "image/jpeg"
    width: int
    height: int
    bytes: int
    url: str
    thumbnail_url: str


class CasePhoto(BaseModel):
    id: str
    url: str
    thumbnail_url: str
    width: int
    height: int


class PhotosBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    photo_ids: Annotated[PhotoIds, Field(min_length=1)]


class CaseRead(BaseModel):
    """A case as its filer and those handling it see it; the contact phone is never returned in full."""

    id: str
    tracking_code: str
    kind: CaseKind
    category: str
    description: str
    grid_id: str
    location: LatLon | None = Field(description="Where the filer placed it; not shown to tracking-code readers")
    channel: Channel
    status: CaseStatus
    urgent: bool
    submitted_at: datetime
    accept_due_at: datetime
    resolve_due_at: datetime | None
    escalation_level: int
    assigned_deputy_ids: list[str]
    supporters: int
    contact_phone_masked: str | None
    contact_name_masked: str | None
    resolution: str | None
    public_reason: str | None
    out_of_scope: OutOfScope | None
    where_to_go: str | None
    rating: Rating | None
    merged_into_id: str | None
    photos: list[CasePhoto]
    timeline: list[TransitionRead]


class CaseCreated(CaseRead):
    filer_key: str | None = Field(
        None, description="Given once to an anonymous filer: send it as X-Filer-Key to confirm, reopen or withdraw"
    )


class ContactRead(BaseModel):
    phone: str | None
    name: str | None
    preference: ContactPreference


class SimilarCase(BaseModel):
    """An open case a villager may support instead of filing again ("me too"); no personal data."""

    id: str
    kind: CaseKind
    category: str
    status: CaseStatus
    summary: str
    submitted_at: datetime
    supporters: int


class SupportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = ""  # type: ignore[valid-type]


class SupportRead(BaseModel):
    case_id: str
    supporters: int


class CaseNoteCreate(BaseModel):
    """An internal note on the timeline (a call made, a visit planned); the status does not change. Only deputies
    and the office see it: not the villager, not the tracking-code view, not the agencies a case went to."""

    model_config = ConfigDict(extra="forbid")
    note: text(1000, 1)  # type: ignore[valid-type]


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = ""  # type: ignore[valid-type]


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason  # type: ignore[valid-type]


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Note = ""  # type: ignore[valid-type]


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason  # type: ignore[valid-type]
    out_of_scope: OutOfScope | None = Field(None, description="Say where the villager should go instead")


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: text(1000, 1) = Field(description="What was done, in plain words; shown publicly")  # type: ignore[valid-type]


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Rating
    comment: text(500) = ""  # type: ignore[valid-type]
    return_visit: StrictBool = Field(False, description="Staff record the villager's answer on a return visit (回访)")


class VisitOutcome(StrEnum):
    confirmed = "confirmed"
    reopened = "reopened"


class VisitMethod(StrEnum):
    phone = "phone"
    in_person = "in_person"


class ReturnVisitBody(BaseModel):
    """What the villager said on a return visit (回访) by staff: solved (with a rating) or not (with why)."""

    model_config = ConfigDict(extra="forbid")
    outcome: VisitOutcome
    rating: Rating | None = Field(None, description="Required when confirmed")
    comment: text(500) = Field("", description="The villager's words; required when reopened")  # type: ignore[valid-type]
    method: VisitMethod

    @model_validator(mode="after")
    def _complete(self) -> "ReturnVisitBody":
        if self.outcome is VisitOutcome.confirmed and self.rating is None:
            raise ValueError("a confirmed return visit gives the villager's rating")
        if self.outcome is VisitOutcome.reopened and (self.rating is not None or not self.comment):
            raise ValueError("a reopening says why in the comment, and has no rating")
        return self


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into_case_id: EntityId
    note: Note = ""  # type: ignore[valid-type]


class ReferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation: Code = Field(description="An active organisation's code from GET /organisations")
    organisation_kind: OrganisationKind | None = Field(None, description="If given, must be the organisation's kind")
    question: text(2000, 1)  # type: ignore[valid-type]
    due_on: CivilDate | None = Field(None, description="Answer by the end of this day; default per policy")


class DispatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: EntityId | None = Field(None, description="Move the case to this group-level grid")
    deputy_ids: Annotated[list[EntityId], Field(max_length=20)] | None = None
    note: Note = ""  # type: ignore[valid-type]


class ExtendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    working_days: integer(1, 30)
    reason: Reason  # type: ignore[valid-type]


class ReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    case_id: str
    organisation: str
    organisation_kind: OrganisationKind
    question: str
    status: str
    due_at: datetime
    rounds: int
    created_at: datetime
    answer: str | None
    answered_at: datetime | None
    decision_note: str | None


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: text(4000, 1)  # type: ignore[valid-type]


class SendBackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason  # type: ignore[valid-type]
    due_on: CivilDate | None = None


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: text(40, 1)  # type: ignore[valid-type]
    name: text(60, 1)  # type: ignore[valid-type]


class Agreement(BaseModel):
    """The written agreement (调解协议书): facts, disputed points, responsibilities, terms and performance."""

    model_config = ConfigDict(extra="forbid")
    facts: text(2000, 1)  # type: ignore[valid-type]
    disputed_points: text(2000, 1)  # type: ignore[valid-type]
    responsibilities: text(2000, 1)  # type: ignore[valid-type]
    terms: text(2000, 1)  # type: ignore[valid-type]
    performance: text(1000, 1) = Field(description="How it is carried out")  # type: ignore[valid-type]
    perform_by: CivilDate
    signed_by_all: StrictBool = Field(description="Both parties and the mediator signed; only then it takes effect")


class MediationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: CivilDate
    place: text(200, 1)  # type: ignore[valid-type]
    parties: Annotated[list[Party], Field(min_length=2, max_length=20)]
    mediator_deputy_ids: Annotated[list[EntityId], Field(min_length=1, max_length=10)]
    record: text(8000, 1)  # type: ignore[valid-type]
    outcome: MediationOutcome
    agreement: Agreement | None = None


class PerformanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    performed: StrictBool
    note: text(1000) = ""  # type: ignore[valid-type]


class ConfirmationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    applied_on: CivilDate


class MediationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    case_id: str
    held_on: date
    place: str
    parties: list[Party]
    mediator_deputy_ids: list[str]
    record: str
    outcome: MediationOutcome
    agreement: Agreement | None
    perform_by: date | None
    performed: bool | None
    performance_note: str | None
    confirmation_due_on: date | None = Field(None, description="Judicial confirmation (司法确认) is asked by then")
    confirmation_applied_on: date | None


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    label_zh: str
    label_en: str
    kinds: list[CaseKind]
    resolve_working_days: int
    urgent: bool
    position: int
    active: bool


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    label_zh: text(60, 1)  # type: ignore[valid-type]
    label_en: text(60, 1)  # type: ignore[valid-type]
    kinds: Annotated[list[CaseKind], Field(min_length=1, max_length=4)]
    resolve_working_days: integer(1, 60) = 5
    urgent: StrictBool = Field(False, description="Its cases run on clock hours (safety hazards)")
    position: integer(0, 10_000) = 100


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label_zh: text(60, 1) | None = None  # type: ignore[valid-type]
    label_en: text(60, 1) | None = None  # type: ignore[valid-type]
    kinds: Annotated[list[CaseKind], Field(min_length=1, max_length=4)] | None = None
    resolve_working_days: integer(1, 60) | None = None
    urgent: StrictBool | None = None
    position: integer(0, 10_000) | None = None
    active: StrictBool | None = None


class OrganisationRead(BaseModel):
    """An organisation a case may be referred to; `code` is what its officers' tokens carry."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name_zh: str
    name_en: str
    kind: OrganisationKind
    position: int
    active: bool


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name_zh: text(60, 1)  # type: ignore[valid-type]
    name_en: text(120, 1)  # type: ignore[valid-type]
    kind: OrganisationKind
    position: integer(0, 10_000) = 100


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_zh: text(60, 1) | None = None  # type: ignore[valid-type]
    name_en: text(120, 1) | None = None  # type: ignore[valid-type]
    kind: OrganisationKind | None = None
    position: integer(0, 10_000) | None = None
    active: StrictBool | None = None


class HolidayRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    day: date
    name: str
    working: bool


class HolidaySet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: text(60, 1)  # type: ignore[valid-type]
    working: StrictBool = Field(False, description="True: a weekend made a working day (调休上班); false: a day off")


class OutOfScopeRead(BaseModel):
    code: OutOfScope
    label_zh: str
    where_to_go_zh: str
    where_to_go_en: str


class BoardCase(BaseModel):
    """A case on the village board (村务公开): no description, no names, no phone numbers."""

    id: str
    kind: CaseKind
    category: str
    grid_id: str
    grid_name: str
    status: CaseStatus
    submitted_at: datetime
    resolved_at: datetime | None
    supporters: int
    resolution: str | None


class BoardStats(BaseModel):
    """Rates of a grid and the grids below it; a rate is null while nothing is there to count."""

    grid_id: str
    grid_name: str
    cases: int
    open: int
    resolved: int
    rejected: int
    response_rate: float | None = Field(description="Accepted within the accept deadline, of those due")
    resolution_rate: float | None = Field(description="Resolved or closed, of the cases counted")
    satisfaction_rate: float | None = Field(description="Satisfied or basically satisfied, of the rated")
    median_days_to_resolve: float | None


class Figures(BaseModel):
    """The counts and rates of a set of cases; withdrawn, merged and rejected cases are not counted in `cases`,
    and a rate is null while nothing is there to count."""

    cases: int
    open: int
    resolved: int = Field(description="Resolved or closed")
    rejected: int
    overdue: int = Field(description="Open cases past the deadline that runs now (to accept or to resolve)")
    rated: int = Field(description="Rated by the villager")
    response_rate: float | None = Field(description="Accepted within the accept deadline, of those due")
    resolution_rate: float | None = Field(description="Resolved or closed, of the cases counted")
    satisfaction_rate: float | None = Field(description="Satisfied or basically satisfied, of the rated")


class TownshipFigures(Figures):
    grid_id: str
    grid_name: str


class CaseStatistics(Figures):
    """The office's figures in one answer: of the whole city, or of a grid and the grids below it, over the cases
    filed in the period (Beijing days, both ends included)."""

    grid_id: str | None
    date_from: date | None
    date_to: date | None
    median_hours_to_resolve: float | None
    by_status: dict[CaseStatus, int] = Field(description="Every case of the period by status, withdrawn ones too")
    by_kind: dict[CaseKind, int] = Field(description="The cases counted, by kind")
    by_township: list[TownshipFigures] = Field(description="The townships, most cases first")
