from datetime import datetime

from sqlalchemy import JSON, Index, String, UniqueConstraint, false
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
"""The audit log (shared.audit): append-only, read by the NPC office at GET /audit (erasures are recorded here)."""


class Account(Base):
    """A signed-in account this service has heard from: the deputy it acts for, an agency officer's organisation,
    whether it is the NPC office's (from its token, learnt when it registers a device, sets its choices or opens
    its list) and its language."""

    __tablename__ = "accounts"
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    deputy_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organisation: Mapped[str | None] = mapped_column(String(40), index=True)
    office: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The NPC office's (its token has the role): told of cases escalated to the office."""
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    phone: Mapped[str | None] = mapped_column(String(20))
    """An official's own number for SMS (set by the account itself); villagers' numbers are not kept here."""
    updated_at: Mapped[datetime]


class PushSubscription(Base):
    """A browser's PushSubscription (RFC 8030 endpoint, RFC 8291 keys): one row per device.

    `owner` is the signed-in account that registered it; an anonymous villager's device has none and hears
    only of the cases it follows. Removed when the push service answers 404 or 410."""

    __tablename__ = "push_subscriptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_sent_at: Mapped[datetime | None]


class CaseContact(Base):
    """A villager's number for SMS about one case (contact.case.given.v1: they, or staff for them, asked for SMS).

    Kept while the case is open; a finished case (closed, withdrawn, merged) keeps it a day for its last
    messages, then the retention sweep deletes it; an erasure or the villager's "stop" deletes it at once."""

    __tablename__ = "case_contacts"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class Follow(Base):
    """Someone following a case by its tracking code: `account:<subject>` (all its devices) or
    `device:<subscription id>` (an anonymous villager's phone)."""

    __tablename__ = "follows"
    tracking_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    follower: Mapped[str] = mapped_column(String(240), primary_key=True, index=True)
    created_at: Mapped[datetime]


class Preference(Base):
    """An account's choice for one kind of notice on one channel (no row: on)."""

    __tablename__ = "preferences"
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[datetime]


class Delivery(Base):
    """One message to one recipient on one channel and target (a device's id, or the number an SMS is for),
    decided from one event.

    `channel`: push (target: the device) | sms (the account's number at the time of sending) | app (the
    notifications list only: written as sent, nothing is sent for it).

    Written in the inbox transaction of the event, before anything is sent: the unique key makes a redelivered
    event decide nothing new. `status`: pending (due at `not_before`) → sending (claimed until `claimed_until`,
    committed before the send) → sent | failed | gone (the device unsubscribed) | skipped (turned off) |
    folded (over the hourly cap: a summary of kind `summary` says how many). A row still `sending` when its
    claim ran out is in doubt (the process died mid-send); see logic/sending.py.

    A person erased, or an SMS older than PERSONAL_DATA_RETENTION_DAYS, leaves the row (the figures count it)
    with `anonymous` as recipient and/or `anonymous:<id>` as target (logic/erasure.py)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", "target", name="uq_deliveries_once"),
        Index("ix_deliveries_due", "status", "not_before"),
        Index("ix_deliveries_recipient_created", "recipient", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(240))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    tracking_code: Mapped[str] = mapped_column(String(20))
    grid_name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8))
    urgent: Mapped[bool]
    url: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    resent_in_doubt: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    session_id: Mapped[str | None] = mapped_column(String(36))
    """A notice about a reception session (no case: `case_id` and `tracking_code` are empty)."""
    when_at: Mapped[datetime | None]
    """The moment the words name (a session's start)."""
    folded: Mapped[int] = mapped_column(default=0, server_default="0")
    """A summary's: how many messages over the hourly cap it stands for (those are `folded`, not sent)."""


class ScheduledNotice(Base):
    """A notice that waits for its time (logic/scheduling.py): planned from an event, given at `due_at` by
    writing its deliveries then, to the accounts and devices known at that moment, unless a later event
    cancelled it first (the case was accepted, the session cancelled, the referral answered).

    `key` is made of the kind, the `subject` and what tells plans of one subject apart (the routing event, the
    session's start, the due date), so a redelivered event plans nothing new. A newer plan of the same kind and
    subject replaces a waiting one. `status`: waiting → given | cancelled (`reason` says by what)."""

    __tablename__ = "scheduled_notices"
    __table_args__ = (Index("ix_scheduled_notices_due", "status", "due_at"),)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(120), index=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(16))
    deputy_ids: Mapped[list] = mapped_column(JSON)
    case_id: Mapped[str] = mapped_column(String(36))
    tracking_code: Mapped[str] = mapped_column(String(20))
    grid_id: Mapped[str | None] = mapped_column(String(36))
    urgent: Mapped[bool]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[str | None] = mapped_column(String(36))
    when_at: Mapped[datetime | None]
    organisation: Mapped[str | None] = mapped_column(String(40))


class CaseEscalation(Base):
    """How far each case was escalated, counted from case.case.escalated events (which do not say): the
    office is told when one reaches it (domain/notices.py `escalation_level`). `last_key` is the last
    escalation's event key, so the same event again counts once."""

    __tablename__ = "case_escalations"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    level: Mapped[int]
    last_key: Mapped[str] = mapped_column(String(64))


class KnownGrid(KnownGridColumns, Base):
    """Projection of grid.grid.* events: the grid's name, the one place word a notice carries."""

    __tablename__ = "known_grids"


class CaseCode(Base):
    """A case's tracking code, from the case events that name it: a micro-project names the cases it answers
    by id only (funding.project.*), and its followers are found by the code. No personal data."""

    __tablename__ = "case_codes"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20))


class SmsReply(Base):
    """An uplink message (a villager's reply) taken from the provider's push, by its `sequence_id`: the same
    message pushed again changes nothing. Keeps no number and no words: only whether it was a "stop"."""

    __tablename__ = "sms_replies"
    sequence_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stopped: Mapped[bool]
    received_at: Mapped[datetime]
