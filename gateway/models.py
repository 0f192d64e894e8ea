from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Account(Base):
    """An official's sign-in: a deputy, station staff, agency officer, the NPC office or finance."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(120))
    roles: Mapped[str] = mapped_column(String(200))
    deputy_id: Mapped[str | None] = mapped_column(String(36))
    organisation: Mapped[str | None] = mapped_column(String(120))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
