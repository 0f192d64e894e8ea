"""The outbox relay: publishes what commits staged in the outbox, and marks a row sent only once JetStream
acknowledged it on the stream the consumers read.

A NATS outage only delays events: the rows stay until JetStream acknowledges them. The relay sends each
event with `Nats-Msg-Id` = event id, so JetStream drops a resend inside its duplicate window, and the
consumers' inbox tables drop it after that.
"""

import asyncio
import json
import logging
import math
import time
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import READ_ONLY
from shared.messaging.catalogue import EPHEMERAL_STREAMS, STREAMS
from shared.messaging.outbox import OutboxSignal, Staged

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """What the relay needs of the bus: publish one message and wait for JetStream's acknowledgement."""

    async def publish(self, subject: str, body: bytes, headers: dict[str, str]) -> None: ...


RETRY_SECONDS = 0.5
"""The first wait after a failure (NATS away, the database busy); it doubles up to 5 s."""


class OutboxRelay:
    """Publishes the rows that commits hand over (one UPDATE a cycle marks them), and sweeps the table for any
    left unsent (at start, after a failure, when a commit asks for it, and every `poll_seconds`: a crash, a NATS
    outage, another process's rows) in seq order. Between commits it sleeps: a commit wakes it."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        table: Table,
        publisher: Publisher,
        signal: OutboxSignal,
        *,
        poll_seconds: float = 5.0,
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
        self._swept_at = -math.inf
        self._swept: set[int] = set()
        columns = (table.c.seq, table.c.event_type, table.c.body, table.c.headers)
        self._unsent = select(*columns).where(table.c.published_at.is_(None)).order_by(table.c.seq).limit(batch_size)
        if skip_locked:
            self._unsent = self._unsent.with_for_update(skip_locked=True)
        in_seqs = table.c.seq.in_(bindparam("seqs", expanding=True))
        self._mark_sent = update(table).where(in_seqs).values(published_at=bindparam("now"))
        # PostgreSQL: claiming the rows locks them, so another replica's sweep skips them, and a row its sweep
        # claimed first is left out once that commits.
        self._claim = self._mark_sent.where(table.c.published_at.is_(None)).returning(table.c.seq)
        # Rows of the ephemeral streams (a phone number to erase or to send SMS to) are deleted once JetStream
        # stored them, instead of being kept marked sent.
        self._forget = delete(table).where(in_seqs)
        self._ephemeral = tuple(f"{STREAMS[stream]}." for stream in EPHEMERAL_STREAMS)

    async def run(self) -> None:
        backoff = min(RETRY_SECONDS, self.poll_seconds)
        while True:
            try:
                sent = await self.relay_batch()
                backoff = min(RETRY_SECONDS, self.poll_seconds)
            except Exception as error:  # NATS down or the database busy: keep the rows, try again later
                log.warning("outbox relay paused: %s", error)
                self._swept_at = -math.inf
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self.batch_size:
                await self.signal.wait(self.poll_seconds)

    async def relay_batch(self) -> int:
        """Publish the events handed over by commits, or sweep the table when due; returns how many were sent."""
        if self.signal.sweep_requested:
            self.signal.sweep_requested = False
            self._swept_at = -math.inf
        if time.monotonic() - self._swept_at < self.poll_seconds:
            return await self._relay_handed()
        # The handed rows are committed, so the sweep reads them too, in order with any older ones left unsent.
        self.signal.take()
        sent = await (self._sweep_locked() if self.skip_locked else self._sweep_unlocked())
        if sent < self.batch_size:  # caught up: hand-overs are complete again
            self._swept_at = time.monotonic()
        return sent

    async def _relay_handed(self) -> int:
        # A commit's hand-over can come just after the sweep that read its row: don't send that row again.
        rows = [row for row in self.signal.take(self.batch_size) if row.seq not in self._swept]
        if not rows:
            return 0
        if not self.skip_locked:
            sent, failure = await self._publish(rows)
            async with self.maker() as session, session.begin():
                await self._mark(session, sent, rows)
            return _sent_or_raise(sent, failure)
        async with self.maker() as session, session.begin():
            params = {"seqs": [row.seq for row in rows], "now": datetime.now(UTC)}
            claimed = set((await session.execute(self._claim, params)).scalars())
            sent, failure = await self._publish([row for row in rows if row.seq in claimed])
            if failure is not None:  # release the claims of the rows not sent, for the sweep
                await session.execute(self._mark_sent, {"seqs": list(claimed.difference(sent)), "now": None})
            await self._forget_ephemeral(session, rows, sent)
        return _sent_or_raise(sent, failure)

    async def _sweep_locked(self) -> int:
        """PostgreSQL: rows stay locked while they are published, so replicas' relays never send one twice."""
        async with self.maker() as session, session.begin():
            rows = _staged((await session.execute(self._unsent)).all())
            sent, failure = await self._publish(rows)
            await self._mark(session, sent, rows)
        self._swept = set(sent)
        return _sent_or_raise(sent, failure)

    async def _sweep_unlocked(self) -> int:
        """SQLite: read, publish, then mark, never holding the write lock while NATS answers. Two relays on one
        file may both send a row; JetStream's duplicate window and the consumers' inboxes drop the second."""
        async with self.maker() as session:
            await session.connection(execution_options=READ_ONLY)
            rows = _staged((await session.execute(self._unsent)).all())
        sent, failure = await self._publish(rows)
        async with self.maker() as session, session.begin():
            await self._mark(session, sent, rows)
        self._swept = set(sent)
        return _sent_or_raise(sent, failure)

    async def _publish(self, rows: list[Staged]) -> tuple[list[int], Exception | None]:
        sent: list[int] = []
        for row in rows:
            try:
                await self.publisher.publish(row.event_type, row.body, row.headers)
            except Exception as error:
                return sent, error
            sent.append(row.seq)
        return sent, None

    async def _mark(self, session: AsyncSession, sent: list[int], rows: list[Staged]) -> None:
        if sent:
            await session.execute(self._mark_sent, {"seqs": sent, "now": datetime.now(UTC)})
            await self._forget_ephemeral(session, rows, sent)

    async def _forget_ephemeral(self, session: AsyncSession, rows: list[Staged], sent: list[int]) -> None:
        done = set(sent)
        seqs = [row.seq for row in rows if row.seq in done and row.event_type.startswith(self._ephemeral)]
        if seqs:
            await session.execute(self._forget, {"seqs": seqs})


def _staged(rows) -> list[Staged]:  # type: ignore[no-untyped-def]
    return [Staged(row.seq, row.event_type, row.body.encode(), json.loads(row.headers)) for row in rows]


def _sent_or_raise(sent: list[int], failure: Exception | None) -> int:
    if failure is not None:
        raise failure
    return len(sent)
