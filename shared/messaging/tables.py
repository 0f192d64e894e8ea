"""The three tables every service keeps beside its own: outbox, inbox and idempotency keys.

Models build them with `messaging_tables(metadata)`; each service's first migration creates them with
`create_messaging_tables(op)`, so their DDL is written once.
"""

from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from shared.db import UtcDateTime, new_metadata

SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("body", Text, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True, index=True),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(64), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("received_at", UtcDateTime, nullable=False),
    )


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("key", String(100), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("created_at", UtcDateTime, nullable=False),
    )


class MessagingTables(NamedTuple):
    outbox: Table
    inbox: Table
    idempotency: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """The tables every service keeps beside its own: outbox, inbox and idempotency keys."""
    return MessagingTables(outbox_table(metadata), inbox_table(metadata), idempotency_table(metadata))


def create_messaging_tables(op: Any) -> None:
    """Create the three tables, with their keys and indexes, in an Alembic migration (`op`) exactly as
    `messaging_tables` declares them (the naming convention of `shared.db.new_metadata`)."""
    metadata = new_metadata()
    messaging_tables(metadata)
    metadata.create_all(op.get_bind())


def drop_messaging_tables(op: Any) -> None:
    for name in ("outbox", "inbox", "idempotency_keys"):
        op.drop_table(name)
