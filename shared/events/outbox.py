"""The transactional outbox: events are written with the state change and published by a relay.

A NATS outage only delays events: the rows stay until JetStream acknowledges them. The relay sends each
event with `Nats-Msg-Id` = event id, so JetStream drops a resend inside its duplicate window, and the
consumers' inbox tables drop it after that.
"""

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from shared.db import READ_ONLY, UtcDateTime
from shared.events.catalogue import EventPayload, envelope
from shared.logs import REQUEST_ID_HEADER, request_id_var

log = logging.getLogger(__name__)

SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")
OUTBOX_SIGNAL_KEY = "outbox_signal"
_STAGED_KEY = "outbox_staged"


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


class OutboxSignal:
    """Wakes the relay as soon as a transaction that staged events commits, instead of at the next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop(_STAGED_KEY, False) and (signal := session.info.get(OUTBOX_SIGNAL_KEY)):
        signal.notify()


async def stage(
    session: AsyncSession, table: Table, source: str, payload: EventPayload, subject: str | None = None
) -> str:
    """Write an event to the outbox inside the caller's transaction; returns the event id."""
    cloud_event = envelope(source, payload, subject)
    headers = {REQUEST_ID_HEADER: request_id_var.get() or cloud_event.id}
    await session.execute(
        table.insert().values(
            event_id=cloud_event.id,
            event_type=cloud_event.type,
            body=cloud_event.model_dump_json(),
            headers=json.dumps(headers),
            created_at=datetime.now(UTC),
        )
    )
    session.sync_session.info[_STAGED_KEY] = True
    return cloud_event.id


class Publisher(Protocol):
    """What the relay needs of the bus: publish one message and wait for JetStream's acknowledgement."""

    async def publish(self, subject: str, body: bytes, headers: dict[str, str]) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        table: Table,
        publisher: Publisher,
        signal: OutboxSignal,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 100,
        skip_locked: bool = False,
    ) -> None:
        self.maker = maker
        self.table = table
        self.publisher = publisher
        self.signal = signal
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.skip_locked = skip_locked

    async def run(self) -> None:
        backoff = self.poll_seconds
        while True:
            try:
                sent = await self.relay_batch()
                backoff = self.poll_seconds
            except Exception as error:  # NATS down or the database busy: keep the rows, try again later
                log.warning("outbox relay paused: %s", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self.batch_size:
                await self.signal.wait(self.poll_seconds)

    async def relay_batch(self) -> int:
        """Publish the oldest unsent events; returns how many were sent."""
        if self.skip_locked:
            return await self._relay_locked()
        return await self._relay_unlocked()

    def _unsent(self):  # type: ignore[no-untyped-def]
        columns = (self.table.c.seq, self.table.c.event_type, self.table.c.body, self.table.c.headers)
        return (
            select(*columns)
            .where(self.table.c.published_at.is_(None))
            .order_by(self.table.c.seq)
            .limit(self.batch_size)
        )

    async def _relay_locked(self) -> int:
        """PostgreSQL: rows stay locked while they are published, so replicas' relays never send one twice."""
        async with self.maker() as session, session.begin():
            rows = (await session.execute(self._unsent().with_for_update(skip_locked=True))).all()
            sent, failure = await self._publish(rows)
            await self._mark(session, sent)
        return _sent_or_raise(sent, failure)

    async def _relay_unlocked(self) -> int:
        """SQLite: read, publish, then mark, never holding the write lock while NATS answers. Two relays on one
        file may both send a row; JetStream's duplicate window and the consumers' inboxes drop the second."""
        async with self.maker() as session:
            await session.connection(execution_options=READ_ONLY)
            rows = (await session.execute(self._unsent())).all()
        sent, failure = await self._publish(rows)
        async with self.maker() as session, session.begin():
            await self._mark(session, sent)
        return _sent_or_raise(sent, failure)

    async def _publish(self, rows) -> tuple[list[int], Exception | None]:  # type: ignore[no-untyped-def]
        sent: list[int] = []
        for row in rows:
            try:
                await self.publisher.publish(row.event_type, row.body.encode(), json.loads(row.headers))
            except Exception as error:
                return sent, error
            sent.append(row.seq)
        return sent, None

    async def _mark(self, session: AsyncSession, sent: list[int]) -> None:
        if sent:
            await session.execute(
                update(self.table).where(self.table.c.seq.in_(sent)).values(published_at=datetime.now(UTC))
            )


def _sent_or_raise(sent: list[int], failure: Exception | None) -> int:
    if failure is not None:
        raise failure
    return len(sent)
