from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import TYPE_ANNOTATION_MAP, messaging_tables, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


tables = messaging_tables(Base.metadata)


class FundPool(Base):
    """A year's budget for livelihood micro-projects, in integer fen, with per-project caps by kind."""

    __tablename__ = "fund_pools"
    __table_args__ = (UniqueConstraint("year", "name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(120))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    service_cap_fen: Mapped[int] = mapped_column(BigInteger)
    goods_cap_fen: Mapped[int] = mapped_column(BigInteger)
    works_cap_fen: Mapped[int] = mapped_column(BigInteger)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
