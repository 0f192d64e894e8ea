from datetime import date, datetime

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import audit_table
from shared.db import TYPE_ANNOTATION_MAP, new_metadata
from shared.messaging.tables import messaging_tables
from shared.projections import KnownGridColumns


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


tables = messaging_tables(Base.metadata)
audit_log = audit_table(Base.metadata)
"""The audit log (shared.audit): append-only, read by the NPC office at GET /audit."""


class Deputy(Base):
    """An elected deputy of the city (市级) or township (乡镇级) congress, or of both.

    `contact_phone` and the home coordinates are personal data: never in events, masked or absent in lists.
    """

    __tablename__ = "deputies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(120))
    council_member: Mapped[bool] = mapped_column(default=False)
    organisation: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    home_grid_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default="active")
    retired_on: Mapped[date | None]
    retire_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class InboxCase(Base):
    """A case routed to a deputy, projected from case events (the deputy's inbox)."""

    __tablename__ = "inbox_cases"
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20))
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime]
    accept_due_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime | None]


class KnownGrid(KnownGridColumns, Base):
    """Projection of grid.grid.* events: enough of the tree to count at township and village level (each grid
    knows its township and its village, set by the projection from its parent's)."""

    __tablename__ = "known_grids"
    township_id: Mapped[str | None] = mapped_column(String(36), index=True)
    village_id: Mapped[str | None] = mapped_column(String(36), index=True)


class KnownAssignment(Base):
    """Projection of grid.assignment.* events: the grids a deputy answers for, and since when (the duty report's
    grids, and which deputies a township's file gathers)."""

    __tablename__ = "known_assignments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    role: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(24))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]


class DutyRecord(Base):
    """One entry of a deputy's record of duty (履职档案): from another service's event, or the deputy's own.

    `fact_key` names the fact behind it (a case resolved, a dispute, an entry): a deputy has one record per fact,
    and statistics count facts, not deputies (three mediators of one dispute make one dispute mediated).
    `metric` is the statistic the fact counts towards; `five_one` the yearly "five ones" item it evidences.
    """

    __tablename__ = "duty_records"
    __table_args__ = (
        UniqueConstraint("deputy_id", "fact_key", name="uq_duty_records_deputy_fact"),
        Index("ix_duty_records_deputy_time", "deputy_id", "occurred_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(8))
    roles: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    grid_id: Mapped[str | None] = mapped_column(String(36), index=True)
    fact_key: Mapped[str] = mapped_column(String(120))
    metric: Mapped[str | None] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(default=1)
    five_one: Mapped[str | None] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    photos: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(36))
    pair_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime]


class DutyFact(Base):
    """A fact the statistics count, once however many deputies' records name it: the first record writes it.

    The covering index lets a date range be counted from the index alone.
    """

    __tablename__ = "duty_facts"
    __table_args__ = (Index("ix_duty_facts_window", "occurred_at", "metric", "grid_id", "quantity"),)
    fact_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    metric: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(default=1)
    grid_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime]


class SupportPair(Base):
    """A deputy paired with a household in difficulty (结对帮扶). The household's name is personal data."""

    __tablename__ = "support_pairs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    household: Mapped[str] = mapped_column(String(120))
    need: Mapped[str] = mapped_column(String(200))
    grid_id: Mapped[str | None] = mapped_column(String(36), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime]


# --- deputies' suggestions (代表建议): domain/suggestions.py -------------------------------------------------


class Suggestion(Base):
    """A deputy's suggestion, criticism or opinion and its handling (建议办理): one row, its current round.

    `lead_organisation` and `co_organisations` are the organisation codes of case intake's list (the office
    picks them from GET /api/case-intake/organisations; no event carries that list, so the codes are kept as the
    office gives them, and an agency officer's token names the organisation they act for). `due_at` is the
    current answer's deadline (null when none runs). `public` is false when the office marks it not for
    publication."""

    __tablename__ = "suggestions"
    __table_args__ = (Index("ix_suggestions_state_due", "state", "due_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    proposal: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    grid_ids: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(24), index=True)
    lead_deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    broad: Mapped[bool] = mapped_column(default=False)
    public: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str | None] = mapped_column(String(1000))
    merged_into_id: Mapped[str | None] = mapped_column(String(36))
    lead_organisation: Mapped[str | None] = mapped_column(String(40), index=True)
    co_organisations: Mapped[str] = mapped_column(String(400), default="")
    round: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    done_report: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SuggestionSigner(Base):
    """A deputy on a suggestion: the lead (who drafted it) or a co-signer, who signs (附议) before it goes in."""

    __tablename__ = "suggestion_signers"
    suggestion_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    lead: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    signed_at: Mapped[datetime | None]


class SuggestionProject(Base):
    """A micro-project (民生微实事, micro_funding) whose proposal cites a suggestion, from funding.project.
    submitted.v2 and completed.v2: its title, how far it went and when it was completed. Kept only when one of
    the project's deputies is on the suggestion."""

    __tablename__ = "suggestion_projects"
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    suggestion_id: Mapped[str] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class SuggestionEvidence(Base):
    """What a suggestion rests on: a case from the lead deputy's inbox or an entry of their record of duty (a
    reception record, a visit), with the public summary alone (a category, a redacted summary)."""

    __tablename__ = "suggestion_evidence"
    suggestion_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    summary: Mapped[str] = mapped_column(String(200), default="")
    grid_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime]


class SuggestionAnswer(Base):
    """One round's answer (the first, then one per re-handling) with the deputy's contact record and rating."""

    __tablename__ = "suggestion_answers"
    suggestion_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    answer_class: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(1000))
    promised_on: Mapped[date | None]
    answered_at: Mapped[datetime | None]
    contact_method: Mapped[str | None] = mapped_column(String(16))
    contacted_on: Mapped[date | None]
    rating: Mapped[str | None] = mapped_column(String(24))
    rating_reason: Mapped[str | None] = mapped_column(String(1000))
    rated_at: Mapped[datetime | None]


class SuggestionOpinion(Base):
    """A co-organisation's opinion (协办意见) given to the lead organisation before it answers, per round."""

    __tablename__ = "suggestion_opinions"
    suggestion_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class SuggestionNotice(Base):
    """A deadline stage (reminder, escalation) given for one due time: each is given once."""

    __tablename__ = "suggestion_notices"
    suggestion_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[datetime]
