"""The village board and the office's figures."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from services.case_intake.domain.lifecycle import CaseStatus
from services.case_intake.schemas.common import CaseKind


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
