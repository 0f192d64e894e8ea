"""The bodies of the actions on a case (api/actions.py): a note, a reason, a resolution, a rating, a return
visit, a merge, a referral, a dispatch, an extension."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.case_intake.schemas.common import (
    Note,
    OrganisationKind,
    OutOfScope,
    Rating,
    Reason,
    VisitMethod,
    VisitOutcome,
)
from shared.types import CivilDate, Code, EntityId, integer, text


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
