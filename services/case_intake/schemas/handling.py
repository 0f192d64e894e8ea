"""Referrals to the four parties (四方联动) and people's mediation (人民调解): what is sent, answered, recorded."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.case_intake.schemas.common import MediationOutcome, OrganisationKind, Reason
from shared.types import CivilDate, EntityId, text


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


class JudicialRuling(StrEnum):
    confirmed = "confirmed"
    not_confirmed = "not_confirmed"


class RulingBody(BaseModel):
    """The court's ruling on the application for judicial confirmation (司法确认裁定)."""

    model_config = ConfigDict(extra="forbid")
    ruling: JudicialRuling = Field(description="confirmed: the agreement is enforceable; not_confirmed: it is not")
    ruled_on: CivilDate
    document_number: text(80, 1) = Field(  # type: ignore[valid-type]
        description="The ruling's document number (文书号), e.g. (2026)湘0382民特123号"
    )


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
    confirmation_ruling: JudicialRuling | None = None
    confirmation_ruled_on: date | None = None
    confirmation_document_number: str | None = None
