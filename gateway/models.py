"""The gateway's own tables: accounts, one-time codes, refresh tokens, the audit log and API keys; for
integrators, the events they may read, their webhooks and the deliveries, and the grid tree (township scopes);
erasures of villagers and the outbox that tells every service of them."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import TYPE_ANNOTATION_MAP, new_metadata
from shared.messaging.tables import SEQUENCE, idempotency_table, inbox_table, outbox_table
from shared.projections import KnownGridColumns


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


idempotency = idempotency_table(Base.metadata)
inbox = inbox_table(Base.metadata)
outbox = outbox_table(Base.metadata)


class Account(Base):
    """A sign-in: an official with a password (and maybe TOTP), or a villager known by a phone number."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    roles: Mapped[str] = mapped_column(String(200))
    deputy_id: Mapped[str | None] = mapped_column(String(36))
    organisation: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    """Sealed (gateway.identity.sealed): never the secret itself."""
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class OneTimeCode(Base):
    """A sign-in code sent to a phone: only its keyed hash is kept; it dies after use, expiry or 5 misses."""

    __tablename__ = "one_time_codes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    spent_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One link of a rotating refresh-token family; reuse of a spent link revokes the whole family."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class AuditEntry(Base):
    """A privileged action: who, when, from where, what, on what. Never a secret or a code."""

    __tablename__ = "audit_log"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    client: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))


class ApiKey(Base):
    """An integrator's key for Open311 and events: kept as a SHA-256 hash, shown once at creation.

    Its event scope: `event_types` (comma-separated; empty = no events) and `townships` (comma-separated
    township grid ids; NULL = every township)."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    event_types: Mapped[str] = mapped_column(Text, default="")
    townships: Mapped[str | None] = mapped_column(Text)


class KnownGrid(KnownGridColumns, Base):
    """Projection of grid.grid.* events: the tree, to find a case's township for integrators' scopes."""

    __tablename__ = "known_grids"


class IntegrationEvent(Base):
    """A case event as integrators get it (redacted: ids, kind, category, status, grid, time), in the order the
    gateway took it in (`seq`, the feed's cursor). Kept INTEGRATION_EVENTS_DAYS."""

    __tablename__ = "integration_events"
    seq: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(120))
    township_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    """The JSON the feed sends and webhooks post, byte for byte the same at every attempt."""
    at: Mapped[datetime] = mapped_column(index=True)


class Webhook(Base):
    """Where the gateway posts an API key's events (Standard Webhooks); its signing secret is kept sealed."""

    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(String(36), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one webhook: its `id` is the `webhook-id` of every attempt (receivers drop repeats by it).
    `status`: pending (`next_attempt_at` says when), delivered, failed (after the last attempt)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "event_seq"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(36), index=True)
    event_seq: Mapped[int] = mapped_column(SEQUENCE)
    event_type: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(index=True)


class Erasure(Base):
    """A villager erased on request (PIPL): who asked the office, when, and which account. The phone number is
    not kept: `phone_given` only says one was erased; the event that told every service carried it once."""

    __tablename__ = "erasures"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(36), index=True)
    phone_given: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    """The event that tells every service; once it left the outbox (the relay forgets sent rows), it was told."""
