from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from shared.types import Code, Name, text


class DeputyLevel(StrEnum):
    city = "city"
    township = "township"


class DeputyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    level: DeputyLevel
    district: text(120, 1)  # type: ignore[valid-type]
    council_member: bool = False


class DeputyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    level: DeputyLevel
    district: str
    council_member: bool
    status: str
    is_demo: bool


class InboxCaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    summary: str
    status: str
    submitted_at: datetime
    accept_due_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        return self.status == "assigned" and self.accept_due_at < datetime.now(UTC)
