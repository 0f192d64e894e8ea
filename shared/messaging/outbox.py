"""The transactional outbox: an event is written in the same transaction as the state change it reports
(`stage`), and handed to the relay (`shared.messaging.relay`) once that transaction commits."""

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Insert, Table, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from shared.logs import REQUEST_ID_HEADER, request_id_var
from shared.messaging.catalogue import EventPayload, envelope

OUTBOX_SIGNAL_KEY = "outbox_signal"
_STAGED_KEY = "outbox_staged"
_SWEEP_KEY = "outbox_sweep"


class Staged(NamedTuple):
    """An outbox row as the relay publishes it."""

    seq: int
    event_type: str
    body: bytes
    headers: dict[str, str]


class OutboxSignal:
    """Hands the relay the rows a transaction staged as soon as it commits, in commit order, so that it publishes
    them without reading them back and without waiting for the next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._committed: list[Staged] = []
        self.sweep_requested = False
        """A commit left rows in the table that it could not hand over (a savepoint rolled back after them): the
        relay sweeps the table at once instead of at its next periodic sweep."""

    def notify(self, rows: list[Staged] | None = None, *, sweep: bool = False) -> None:
        if rows:
            self._committed += rows
        if sweep:
            self.sweep_requested = True
        self._event.set()

    def take(self, limit: int | None = None) -> list[Staged]:
        rows = self._committed[:limit]
        del self._committed[: len(rows)]
        return rows

    async def wait(self, timeout: float) -> None:
        if not self._committed:  # rows handed over since the last take() must not wait for a wake-up
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()


@event.listens_for(Session, "after_commit")
def _hand_to_relay(session: Session) -> None:
    staged = session.info.pop(_STAGED_KEY, None)
    sweep = session.info.pop(_SWEEP_KEY, False)
    if (staged or sweep) and (signal := session.info.get(OUTBOX_SIGNAL_KEY)):
        signal.notify(staged, sweep=sweep)


@event.listens_for(Session, "after_soft_rollback")
def _forget_staged(session: Session, previous_transaction: SessionTransaction) -> None:
    # Rolled back, the rows are gone. A savepoint's rollback forgets the rows staged before it as well: those
    # still commit, so the commit asks the relay to sweep the table for them.
    forgotten = session.info.pop(_STAGED_KEY, None)
    if not previous_transaction.nested:
        session.info.pop(_SWEEP_KEY, None)
    elif forgotten:
        session.info[_SWEEP_KEY] = True


@cache
def _insert(table: Table) -> Insert:
    """The outbox's INSERT, built once a table (its parameters bound per call: one compiled form, reused)."""
    return table.insert()


async def stage(
    session: AsyncSession, table: Table, source: str, payload: EventPayload, subject: str | None = None
) -> str:
    """Write an event to the outbox inside the caller's transaction; returns the event id."""
    cloud_event = envelope(source, payload, subject)
    headers = {REQUEST_ID_HEADER: request_id_var.get() or cloud_event.id}
    body = cloud_event.model_dump_json()
    row = {
        "event_id": cloud_event.id,
        "event_type": cloud_event.type,
        "body": body,
        "headers": json.dumps(headers),
        "created_at": datetime.now(UTC),
    }
    result = await session.execute(_insert(table), row)
    row = Staged(result.inserted_primary_key[0], cloud_event.type, body.encode(), headers)
    session.sync_session.info.setdefault(_STAGED_KEY, []).append(row)
    return cloud_event.id
