from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import audit_table
from shared.db import TYPE_ANNOTATION_MAP, new_metadata
from shared.messaging.tables import messaging_tables
from shared.projections import KnownDeputyColumns, KnownGridColumns


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


tables = messaging_tables(Base.metadata)
audit_log = audit_table(Base.metadata)
"""The audit log (shared.audit): append-only, read by the NPC office at GET /audit."""


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
    notice_days: Mapped[int] = mapped_column(default=3, server_default="3")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class StationGrid(Base):
    """A grid a station serves explicitly (an area station's villages); without any, its township's grids."""

    __tablename__ = "station_grids"
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class OpeningWindow(Base):
    """When a station is open, in Asia/Shanghai time: on an ISO weekday (1 = Monday) or on a day of the month."""

    __tablename__ = "opening_windows"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    weekday: Mapped[int | None]
    month_day: Mapped[int | None]
    opens: Mapped[time]
    closes: Mapped[time]


class Rota(Base):
    """Recurring reception days (an RFC 5545 RRULE) whose sessions rotate the deputies of the station's grids."""

    __tablename__ = "rotas"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    rule: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    start_time: Mapped[time]
    duration_minutes: Mapped[int]
    mode: Mapped[str] = mapped_column(String(16))
    place: Mapped[str | None] = mapped_column(String(200))
    meeting_url: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int]
    topic: Mapped[str] = mapped_column(String(200))
    deputies_per_session: Mapped[int]
    pool: Mapped[str] = mapped_column(Text)  # JSON list of deputy ids, in rotation order
    skipped: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {day, reason}
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ReceptionSession(Base):
    """A reception session (接待日): at the station, outside it with a place, or online with a meeting address."""

    __tablename__ = "reception_sessions"
    __table_args__ = (Index("ix_reception_sessions_station_starts", "station_id", "starts_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    rota_id: Mapped[str | None] = mapped_column(ForeignKey("rotas.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    place: Mapped[str | None] = mapped_column(String(200))
    meeting_url: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    topic: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    warnings: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of flags staff should look at
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class DutyDeputy(Base):
    """A deputy on duty at a session; `linked` is false when none of their grids is one the station serves."""

    __tablename__ = "duty_deputies"
    session_id: Mapped[str] = mapped_column(ForeignKey("reception_sessions.id"), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    linked: Mapped[bool] = mapped_column(default=True)


class AgencyStaff(Base):
    """Staff of a government department, court or procuratorate joining a session (organisation and role only)."""

    __tablename__ = "agency_staff"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("reception_sessions.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120))
    joined_at: Mapped[datetime]


class Booking(Base):
    """A villager's place at a session (booked ahead, or a walk-in registered at the desk).

    `queue_no` is the order of arrival in the session; a waitlisted booking's place is computed from it.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("session_id", "queue_no", name="uq_bookings_session_queue"),
        Index("ix_bookings_session_status", "session_id", "status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("reception_sessions.id"))
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    queue_no: Mapped[int]
    visitor_name: Mapped[str | None] = mapped_column(String(60))
    visitor_phone: Mapped[str | None] = mapped_column(String(20))
    notice: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    changed_at: Mapped[datetime]


class ReceptionRecord(Base):
    """What one visitor raised (当面提), how it was discussed (当面议) and answered (当面答), and what followed."""

    __tablename__ = "reception_records"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("reception_sessions.id"), index=True)
    station_id: Mapped[str] = mapped_column(String(36), index=True)
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), index=True)
    grid_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(24))
    raised: Mapped[str] = mapped_column(Text)
    discussed: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    route: Mapped[str | None] = mapped_column(String(24))
    summary: Mapped[str] = mapped_column(String(300))
    case_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    case_tracking_code: Mapped[str | None] = mapped_column(String(40))
    case_status: Mapped[str | None] = mapped_column(String(24))
    case_updated_at: Mapped[datetime | None]
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


# --- projections of other services' events ---------------------------------------------------------------


class KnownDeputy(KnownDeputyColumns, Base):
    """Projection of deputy.deputy.* events: who may be put on duty, under which public name."""

    __tablename__ = "known_deputies"
    code: Mapped[str] = mapped_column(String(40), index=True)


class KnownGrid(KnownGridColumns, Base):
    """Projection of grid.grid.* events: the tree, to tell which grids lie under a station's township."""

    __tablename__ = "known_grids"


class KnownAssignment(Base):
    """Projection of grid.assignment.* events: which deputy answers for which grid."""

    __tablename__ = "known_assignments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    active: Mapped[bool] = mapped_column(default=True)
