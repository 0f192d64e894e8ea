from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.types import CivilDate, Code, EntityId, Latitude, LatLon, Longitude, Name, SmallInt, text


class GridLevel(StrEnum):
    township = "township"
    village = "village"
    group = "group"


class GridKind(StrEnum):
    """What the grid is on the ground; each level allows some kinds (see names.KINDS)."""

    town = "town"
    township = "township"
    subdistrict = "subdistrict"
    village = "village"
    community = "community"
    group = "group"
    compound = "compound"


class GridStatus(StrEnum):
    active = "active"
    retired = "retired"


class AssignmentRole(StrEnum):
    member = "member"
    grid_head = "grid_head"


class AssignmentBasis(StrEnum):
    electoral_district = "electoral_district"
    proximity = "proximity"


Position = tuple[Longitude, Latitude]
Ring = Annotated[list[Position], Field(min_length=4, max_length=5000)]
PolygonRings = Annotated[list[Ring], Field(min_length=1, max_length=20)]
Reason = text(500)
District = text(120, 1)


class PolygonGeometry(BaseModel):
    """A GeoJSON Polygon: [longitude, latitude] positions, outer ring first, rings closed."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Polygon"]
    coordinates: PolygonRings


class MultiPolygonGeometry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[PolygonRings], Field(min_length=1, max_length=50)]


Boundary = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class GridCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    level: GridLevel
    kind: GridKind | None = Field(None, description="Defaults from the name's suffix (镇, 乡, 村, 社区, 小区 ...)")
    parent_id: EntityId | None = None
    district: District | None = Field(None, description="The electoral district (选区) the grid lies in")
    population: SmallInt | None = None
    households: SmallInt | None = None
    boundary: Boundary | None = None
    centre: LatLon | None = Field(None, description="Defaults to a point inside the boundary")


class GridUpdate(BaseModel):
    """Rename, move (a new parent of the level above), or change figures and geometry; absent fields stay."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    kind: GridKind | None = None
    parent_id: EntityId | None = None
    district: District | None = None
    population: SmallInt | None = None
    households: SmallInt | None = None
    boundary: Boundary | None = None
    centre: LatLon | None = None
    reason: Reason = ""


class GridRetire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retired_on: CivilDate
    reason: text(500, 1)  # type: ignore[valid-type]


class GridRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    level: GridLevel
    kind: GridKind
    parent_id: str | None
    district: str | None
    population: int | None
    households: int | None
    centre_lat: float | None
    centre_lon: float | None
    status: GridStatus
    retired_on: date | None
    version: int
    is_demo: bool
    created_at: datetime
    updated_at: datetime | None
    has_boundary: bool


class GridDetail(GridRead):
    boundary_geojson: dict[str, Any] | None = Field(description="The GeoJSON boundary, if any")


class GridChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    action: str
    changes: dict[str, Any]
    reason: str
    actor: str
    at: datetime


class ResolvedGrid(BaseModel):
    grid: GridRead
    method: Literal["boundary", "nearest_centre"]
    distance_m: float = Field(description="0 inside a boundary; else the distance to the grid's centre")


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: EntityId
    deputy_id: EntityId
    role: AssignmentRole = AssignmentRole.member
    basis: AssignmentBasis = AssignmentBasis.electoral_district
    starts_on: CivilDate


class AssignmentEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ends_on: CivilDate
    reason: text(500, 1)  # type: ignore[valid-type]


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    grid_id: str
    deputy_id: str
    role: AssignmentRole
    basis: AssignmentBasis
    starts_on: CivilDate
    ends_on: date | None
    end_reason: str | None


class GridRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    level: GridLevel
    parent_id: str | None


class Suggestion(BaseModel):
    deputy_id: str
    code: str
    name: str
    district: str
    reason: Literal["same_district", "nearest"]
    distance_m: float | None = Field(description="From the deputy's home grid centre to this grid's centre")
    active_assignments: int


class UncoveredGrid(BaseModel):
    grid: GridRef
    district: str | None = Field(description="The grid's electoral district, or its nearest ancestor's")
    suggestions: list[Suggestion]


class CoverageReport(BaseModel):
    """Uncovered group grids (a page of them, each with suggested deputies) and the coverage figures."""

    items: list[UncoveredGrid]
    total: int
    limit: int
    offset: int
    groups_total: int
    groups_covered: int
    townships_without_head: list[GridRef]
