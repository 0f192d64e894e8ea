"""Reference data: categories, organisations, the holiday calendar, the out-of-scope answers."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.case_intake.schemas.common import CaseKind, OrganisationKind, OutOfScope
from shared.types import Code, integer, text


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
