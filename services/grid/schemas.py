from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.types import CivilDate, Code, EntityId, Name, SmallInt


class GridLevel(StrEnum):
    township = "township"
    village = "village"
    group = "group"


class AssignmentRole(StrEnum):
    member = "member"
    grid_head = "grid_head"


class AssignmentBasis(StrEnum):
    electoral_district = "electoral_district"
    proximity = "proximity"


class GridCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    level: GridLevel
    parent_id: EntityId | None = None
    population: SmallInt | None = None
    households: SmallInt | None = None


class GridRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    level: GridLevel
    parent_id: str | None
    population: int | None
    households: int | None
    is_demo: bool
    created_at: datetime


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: EntityId
    deputy_id: EntityId
    role: AssignmentRole = AssignmentRole.member
    basis: AssignmentBasis = AssignmentBasis.electoral_district
    starts_on: CivilDate


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    grid_id: str
    deputy_id: str
    role: AssignmentRole
    basis: AssignmentBasis
    starts_on: CivilDate
    ends_on: date | None
