"""A case filed and as it is read: the filing, the timeline, its photos, the case as each reader sees it, and
"me too"."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.case_intake.domain.lifecycle import CaseStatus
from services.case_intake.schemas.common import CaseKind, Channel, ContactPreference, Note, OutOfScope, PhotoIds, Rating
from shared.types import Code, ContactPhone, EntityId, LatLon, text

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
    recording_id: EntityId | None = Field(None, description="A voice note (at most 60 s) from POST /recordings")

    @model_validator(mode="after")
    def _placed(self) -> "CaseCreate":
        if self.grid_id is None and self.location is None:
            raise ValueError("give the grid_id, the location, or both")
        return self


class ProjectLink(BaseModel):
    """The livelihood micro-project (民生微实事) a step says the case was taken into."""

    id: str
    title: str
    stage: str = Field(description="The project's stage at this step: micro-funding's project status")
    public_path: str | None = Field(
        None, description="The PWA's public page of the project, from its public notice on; null before"
    )


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
    link: str | None = Field(
        None, description="Where the step points: the public page of a deputy's suggestion citing the case; or null"
    )
    at: datetime
    actor_account: str | None = Field(
        None,
        description="The official account that took the step (the token's subject): shown to the deputies handling "
        "the case and the office, for steps by a deputy, the office or an agency; null for everyone else",
    )
    actor_name: str | None = Field(None, description="That account's display name, if it has one; the same readers")
    project: ProjectLink | None = Field(
        None, description="For a step with the action `project`: the micro-project the case was taken into"
    )


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


class RecordingUploaded(BaseModel):
    """A stored voice note: its container as checked (and copied without tags), its length and size."""

    id: str
    content_type: str = Field(description="audio/webm (Opus), audio/ogg (Opus) or audio/mp4 (AAC)")
    duration_ms: int
    bytes: int
    url: str


class CaseRecording(BaseModel):
    """The case's voice note, served by `url` to whoever may read the case's photos."""

    id: str
    url: str
    content_type: str
    duration_ms: int


class PhotosBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    photo_ids: Annotated[PhotoIds, Field(min_length=1)]


class ReceptionRead(BaseModel):
    """What was said at the station reception a case was opened from (当面提、当面议、当面答): read by the deputies
    handling the case and the office only; the case's description is the masked public summary."""

    model_config = ConfigDict(from_attributes=True)
    record_id: str
    raised: str
    discussed: str
    answer: str
    at: datetime


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
    recording: CaseRecording | None = Field(None, description="The villager's voice note, if the filing had one")
    timeline: list[TransitionRead]
    reception: ReceptionRead | None = Field(
        None,
        description="For a case raised at a station reception: what was raised, discussed and answered there; "
        "for the deputies handling it and the office only, null for everyone else",
    )


class CaseCreated(CaseRead):
    filer_key: str | None = Field(
        None, description="Given once to an anonymous filer: send it as X-Filer-Key to confirm, reopen or withdraw"
    )


class ContactRead(BaseModel):
    phone: str | None
    name: str | None
    preference: ContactPreference


class SimilarCase(BaseModel):
    """An open public case a villager may support instead of filing again ("me too"): what and when, never the
    filer's words or anything personal (like the board)."""

    id: str
    kind: CaseKind
    category: str
    status: CaseStatus
    summary: str = Field(description="The category's name; never the filer's words")
    submitted_at: datetime
    supporters: int


class SupportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = ""  # type: ignore[valid-type]


class SupportRead(BaseModel):
    case_id: str
    supporters: int
