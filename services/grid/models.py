import json
from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import audit_table
from shared.db import TYPE_ANNOTATION_MAP, new_metadata
from shared.messaging.tables import messaging_tables
from shared.projections import KnownDeputyColumns


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


tables = messaging_tables(Base.metadata)
audit_log = audit_table(Base.metadata)
"""The audit log (shared.audit): append-only, read by the NPC office at GET /audit."""


class Grid(Base):
    """A grid cell: township (乡镇), village or community (村/社区), or village group / compound (村小组/小区)."""

    __tablename__ = "grids"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="group")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    district: Mapped[str | None] = mapped_column(String(120))
    population: Mapped[int | None]
    households: Mapped[int | None]
    boundary: Mapped[str | None] = mapped_column(Text)
    centre_lat: Mapped[float | None] = mapped_column(Float)
    centre_lon: Mapped[float | None] = mapped_column(Float)
    name_pinyin: Mapped[str] = mapped_column(String(600), default="")
    name_initials: Mapped[str] = mapped_column(String(600), default="")
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    retired_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]

    @property
    def has_boundary(self) -> bool:
        return self.boundary is not None

    @property
    def boundary_geojson(self) -> dict | None:
        return json.loads(self.boundary) if self.boundary else None


class GridChange(Base):
    """The history of a grid: every creation, rename, move, change of figures and retirement, with who and why."""

    __tablename__ = "grid_changes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), index=True)
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class IndexState(Base):
    """One row whose revision grows whenever a grid's geometry or status changes: replicas rebuild their index."""

    __tablename__ = "grid_index_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)


class Assignment(Base):
    """A deputy answering for a grid, as member or grid head (网格长), from a basis (原选区 / 就近)."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_grid_active", "grid_id", "ends_on"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    role: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(24))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class KnownDeputy(KnownDeputyColumns, Base):
    """Projection of deputy.deputy.* events: what the grid's rules need to know of a deputy."""

    __tablename__ = "known_deputies"
    district: Mapped[str] = mapped_column(String(120), index=True)
    council_member: Mapped[bool] = mapped_column(default=False)
    home_grid_id: Mapped[str | None] = mapped_column(String(36))


class GridCase(Base):
    """Projection of case.* events: which cases are open in which grid (a grid with open work cannot vanish)."""

    __tablename__ = "grid_cases"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(24))
    is_open: Mapped[bool] = mapped_column(default=True)
    at: Mapped[datetime]
