from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import TYPE_ANNOTATION_MAP, messaging_tables, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


tables = messaging_tables(Base.metadata)


class Station(Base):
    """A liaison station (代表联络站): main (总站), township (乡镇站) or area (片区站)."""

    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    tier: Mapped[str] = mapped_column(String(16), index=True)
    township_grid_id: Mapped[str | None] = mapped_column(String(36), index=True)
    address: Mapped[str] = mapped_column(String(200))
    voters_served: Mapped[int | None]
    opening_hours: Mapped[str] = mapped_column(String(60))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
