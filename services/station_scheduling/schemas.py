from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.types import Code, EntityId, Name, SmallInt, text


class StationTier(StrEnum):
    main = "main"
    township = "township"
    area = "area"


class StationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    tier: StationTier
    township_grid_id: EntityId | None = None
    address: text(200, 1)  # type: ignore[valid-type]
    voters_served: SmallInt | None = None
    opening_hours: text(60, 1)  # type: ignore[valid-type]


class StationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    tier: StationTier
    township_grid_id: str | None
    address: str
    voters_served: int | None
    opening_hours: str
    is_demo: bool
    created_at: datetime
