from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import audit_table
from shared.db import TYPE_ANNOTATION_MAP, new_metadata
from shared.messaging.tables import messaging_tables
from shared.projections import KnownGridColumns

SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


tables = messaging_tables(Base.metadata)
audit_log = audit_table(Base.metadata)
"""The audit log (shared.audit): append-only, read by the NPC office at GET /audit."""


class FundPool(Base):
    """A year's budget for livelihood micro-projects, in integer fen, with per-project caps by kind.

    `total_fen` is what finance appropriated (booked as the pool's first ledger entry); every money write
    on the pool locks this row first, so allocations against one pool happen one at a time.
    """

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


class LedgerEntry(Base):
    """One append-only line of a pool's books (never updated or deleted: the database refuses it).

    The balances after the entry are kept beside it, so reconciliation can replay the amounts and compare.
    """

    __tablename__ = "ledger_entries"
    seq: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("fund_pools.id"), index=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    pool_available_fen: Mapped[int] = mapped_column(BigInteger)
    project_balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(500), default="")
    reference: Mapped[str] = mapped_column(String(120), default="")
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class Project(Base):
    """A livelihood micro-project (民生微实事) from proposal to publication: one project, one ledger."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("fund_pools.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    owner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    beneficiaries: Mapped[str] = mapped_column(String(500))
    beneficiary_count: Mapped[int] = mapped_column(Integer)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    screening_note: Mapped[str | None] = mapped_column(String(1000))
    review: Mapped[str | None] = mapped_column(Text)
    votes_for: Mapped[int | None]
    votes_against: Mapped[int | None]
    votes_abstain: Mapped[int | None]
    notice_days: Mapped[int | None]
    notice_ends_at: Mapped[datetime | None]
    acceptance_report: Mapped[str | None] = mapped_column(Text)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    suggestion_id: Mapped[str | None] = mapped_column(String(36), index=True)
    """The deputies' suggestion (代表建议, in the deputy service) the project carries out, if the proposal cites one;
    funding.project.submitted.v2 and completed.v2 carry it, so that the suggestion shows the project."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProjectGrid(Base):
    """A grid the project serves, with the village it lies in (the public page is per village)."""

    __tablename__ = "project_grids"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), index=True)


class ProjectCase(Base):
    """A villager's case the project answers (the evidence that villagers asked for it)."""

    __tablename__ = "project_cases"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class BudgetLine(Base):
    __tablename__ = "budget_lines"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Milestone(Base):
    __tablename__ = "milestones"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    done_on: Mapped[date | None]


class ProjectStep(Base):
    """The project's timeline: every stage it entered, who moved it (account and role), when and why. `actor` is
    NULL once the villager who moved it (a first rating opens `evaluated`) was erased; the role stays."""

    __tablename__ = "project_steps"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(1000), default="")
    at: Mapped[datetime] = mapped_column(index=True)


PENDING = text("status = 'pending'")


class Objection(Base):
    """An objection raised during the public notice; the NPC office upholds (back to draft) or dismisses it.

    Made under a real name: `objector` is the villager's account (never shown), `address` the client address it
    came from (for the per-address limit, never shown); one pending objection per account and project (the
    partial unique index). `ruled_by` is the office account that ruled. Objections from before sign-in was
    required have no objector; an erased villager's objection has neither objector nor address, and its text
    says it was erased at their request (that it was made, and its ruling, stay: the notice's history).
    """

    __tablename__ = "objections"
    __table_args__ = (
        Index(
            "uq_objections_pending_per_objector",
            "project_id",
            "objector",
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        ),
        Index("ix_objections_objector_raised", "objector", "raised_at"),
        Index("ix_objections_address_raised", "address", "raised_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    objector: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    ruling: Mapped[str | None] = mapped_column(String(1000))
    ruled_by: Mapped[str | None] = mapped_column(String(64))
    raised_at: Mapped[datetime]
    ruled_at: Mapped[datetime | None]


class ProgressReport(Base):
    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("project_id", "month"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(1000))
    reporter: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class Rating(Base):
    """A villager's rating of a delivered project; one per account and project, shown only as an average. An
    erased villager's rating keeps its score (the average counts it) without its rater or comment."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("project_id", "rater"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    rater: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime]


class KnownGrid(KnownGridColumns, Base):
    """Projection of grid.grid.* events: which grids exist, their level and parent (to find the village)."""

    __tablename__ = "known_grids"


class KnownCase(Base):
    """Projection of case.case.* events: the cases a proposal may cite, with their latest status and the deputies
    they are routed to now (`deputy_ids`, comma-separated; NULL for a case known from before it was kept): a
    deputy cites only cases routed to them."""

    __tablename__ = "known_cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24))
    deputy_ids: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
