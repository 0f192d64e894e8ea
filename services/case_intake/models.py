from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, false, true
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


class Case(Base):
    """A villager's matter: request (诉求), dispute (矛盾纠纷), suggestion (建议) or public opinion (社情民意)."""

    __tablename__ = "cases"
    __table_args__ = (
        # covers the figures (views/statistics.py): one scan of it, in grid, status and kind order, counts them all
        Index(
            "ix_cases_statistics",
            "grid_id",
            "status",
            "kind",
            "submitted_at",
            "accepted_at",
            "accept_due_at",
            "resolved_at",
            "rating",
            "due_kind",
            "resolve_due_at",
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    location_lat: Mapped[float | None]
    location_lon: Mapped[float | None]
    channel: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24), index=True)
    submitted_by: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_preference: Mapped[str] = mapped_column(String(16), server_default="none", default="none")
    public: Mapped[bool] = mapped_column(server_default=true(), default=True)
    urgent: Mapped[bool] = mapped_column(server_default=false(), default=False)
    filer_key_hash: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    accept_due_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    due_kind: Mapped[str | None] = mapped_column(String(16), index=True)
    extended: Mapped[bool] = mapped_column(server_default=false(), default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(1000))
    public_reason: Mapped[str | None] = mapped_column(String(500))
    out_of_scope: Mapped[str | None] = mapped_column(String(24))
    rating: Mapped[str | None] = mapped_column(String(24))
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    merged_into_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer, server_default="0", default=0)


class CaseAssignee(Base):
    """A deputy the case was routed to (or escalated to, as the township's grid head)."""

    __tablename__ = "case_assignees"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class CaseTransition(Base):
    """One step on the case's timeline: who moved it, when, from what to what, and why.

    Entries whose from_status equals to_status are notes (a "me too", a reminder, an answer) on the way; those
    with the action `note` are internal: for deputies and the office only.
    """

    __tablename__ = "case_transitions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    action: Mapped[str] = mapped_column(String(24), server_default="submit", default="submit")
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    """The account (token subject) that took the step; shown to officials for officials' steps."""
    actor_name: Mapped[str | None] = mapped_column(String(120))
    """That account's display name when its token had one."""
    actor_role: Mapped[str] = mapped_column(String(16), server_default="system", default="system")
    actor_deputy_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(500))
    """The step in English: the service's sentence, then the person's words after ": " (what events carry)."""
    sentence: Mapped[str | None] = mapped_column(String(300))
    """The sentence's message id (an English template, shared.i18n), said in the reader's language per request."""
    sentence_params: Mapped[dict | None] = mapped_column(JSON)
    """The sentence's values (codes and numbers, never a person's words)."""
    note: Mapped[str | None] = mapped_column(String(1000))
    """The person's own words in `reason` (a note, a resolution, a comment), apart from the service's sentence."""
    link: Mapped[str | None] = mapped_column(String(200))
    """Where the step points to, if anywhere: a public deputy's suggestion that cites the case."""
    at: Mapped[datetime]
    project_id: Mapped[str | None] = mapped_column(String(36))
    """A micro-project step (action `project`): the project the case was taken into."""
    project_stage: Mapped[str | None] = mapped_column(String(16))
    """That project's stage at this step (micro-funding's project status: submitted, in_notice, funded, …)."""


class StationHandover(Base):
    """What was raised (当面提), discussed (当面议) and answered (当面答) at the station reception a case was opened
    from (reception.issue.handed.v1): for the deputies handling the case and the office, never the public."""

    __tablename__ = "station_handovers"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36))
    raised: Mapped[str] = mapped_column(Text)
    discussed: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class CaseSupporter(Base):
    """A villager who said "me too" (signed in or not), or the filer of a duplicate merged into this case."""

    __tablename__ = "case_supporters"
    __table_args__ = (UniqueConstraint("case_id", "supporter", name="uq_case_supporters_case_id_supporter"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    supporter: Mapped[str | None] = mapped_column(String(64), index=True)
    origin_case_id: Mapped[str | None] = mapped_column(String(36))
    filer: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime]


class Referral(Base):
    """A case sent to an organisation of the four parties (四方联动) for an answer by a due date."""

    __tablename__ = "referrals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(40), index=True)
    organisation_kind: Mapped[str] = mapped_column(String(24))
    question: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime]
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(500))


class MediationSession(Base):
    """One people's mediation (人民调解) session of a dispute: who, where, the record, and any agreement.

    Parties' names are personal data: kept here for the file, never published in events or public views.
    """

    __tablename__ = "mediation_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    parties: Mapped[list] = mapped_column(JSON)
    mediator_deputy_ids: Mapped[list] = mapped_column(JSON)
    record: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    agreement: Mapped[dict | None] = mapped_column(JSON)
    perform_by: Mapped[date | None] = mapped_column(Date)
    performed: Mapped[bool | None]
    performance_note: Mapped[str | None] = mapped_column(String(1000))
    confirmation_applied_on: Mapped[date | None] = mapped_column(Date)
    confirmation_ruling: Mapped[str | None] = mapped_column(String(16))
    """The court's ruling on the application: confirmed (the agreement is enforceable) or not_confirmed."""
    confirmation_ruled_on: Mapped[date | None] = mapped_column(Date)
    confirmation_document_number: Mapped[str | None] = mapped_column(String(80))
    """The ruling's document number (文书号), e.g. (2026)湘0382民特123号."""
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Photo(Base):
    """An uploaded photo, re-encoded as JPEG without metadata, with its thumbnail; kept in the database so that
    every replica serves it. Attached to at most one case; `uploaded_by` is None for an anonymous upload."""

    __tablename__ = "photos"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(index=True)
    attached_at: Mapped[datetime | None]
    position: Mapped[int] = mapped_column(Integer, server_default="0", default=0)


class Recording(Base):
    """A voice note (语音留言) uploaded for a filing: checked by content and copied into a clean container of its
    kind (`container`: webm, ogg or mp4; logic/recordings.py). A case has at most one (`case_id` is unique); like
    photos, kept in the database so that every replica serves it, and `uploaded_by` is None when anonymous."""

    __tablename__ = "recordings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    container: Mapped[str] = mapped_column(String(8))
    duration_ms: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(index=True)
    attached_at: Mapped[datetime | None]


class DeadlineNotice(Base):
    """A reminder, chase or escalation already given for one deadline: each is given once, by one replica."""

    __tablename__ = "deadline_notices"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    deadline: Mapped[str] = mapped_column(String(60), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(24), primary_key=True)
    at: Mapped[datetime]


class Category(Base):
    """A configurable case category (and the dispute types of people's mediation), with its resolve deadline;
    an urgent category (a safety hazard) makes its cases urgent: deadlines in clock hours."""

    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(60))
    kinds: Mapped[list] = mapped_column(JSON)
    resolve_working_days: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(server_default=false(), default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Organisation(Base):
    """An organisation a case may be referred to (四方联动): a government department, the court, the procuratorate
    or a party committee. `code` is what its officers' tokens carry as their organisation."""

    __tablename__ = "organisations"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(24))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Holiday(Base):
    """A day that differs from the Monday-to-Friday week: a public holiday, or a weekend made a working day (调休)."""

    __tablename__ = "holidays"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    working: Mapped[bool] = mapped_column(default=False)


class KnownGrid(KnownGridColumns, Base):
    """Projection of grid.grid.* events (projections.py, by version): the grid tree as far as routing needs it."""

    __tablename__ = "known_grids"


class RoutingEntry(Base):
    """Projection of grid.assignment.* events: which deputy answers for which grid (the routing table)."""

    __tablename__ = "routing_entries"
    assignment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)


class CaseSuggestion(Base):
    """A case a deputy's suggestion cites (deputy.suggestion.accepted.v1): where its answer and completion are also
    written. Only the ids: the suggestion lives in the deputy service."""

    __tablename__ = "case_suggestions"
    suggestion_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)
