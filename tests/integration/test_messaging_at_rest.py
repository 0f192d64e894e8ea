"""At rest the messaging costs little (consumers ask for events every few seconds, the relay sweeps its table every
few seconds) and yet nothing waits for those timers: a commit wakes the relay, an event ends a consumer's wait,
and a NATS restart does not leave a consumer waiting on a pull request the server forgot. The sweep still sends
what no commit of the process handed over: another process's rows."""

import asyncio
import time
import uuid

import nats
import pytest
from sqlalchemy import select

from shared.config import Settings
from shared.db import create_engine, create_sessionmaker, new_metadata
from shared.messaging.bus import Bus
from shared.messaging.catalogue import CaseSubmittedV2, envelope
from shared.messaging.inbox import DurableConsumer
from shared.messaging.outbox import OUTBOX_SIGNAL_KEY, OutboxSignal, stage
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import messaging_tables
from tests.support import case_submitted, eventually

pytestmark = pytest.mark.timeout(90)

LONG = 60.0
"""A sweep or fetch interval no test waits for: whatever arrives sooner was not brought by the timer."""


class Service:
    """A service's messaging tables in a SQLite file, its relay and its CASE consumer, on a NATS."""

    def __init__(self, folder, bus: Bus, *, sweep_seconds: float = LONG) -> None:
        self.metadata = new_metadata()
        self.tables = messaging_tables(self.metadata)
        database = f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
        self.engine = create_engine(Settings(service_name="rest-test", database_url=database))
        self.signal = OutboxSignal()
        self.maker = create_sessionmaker(self.engine, info={OUTBOX_SIGNAL_KEY: self.signal})
        self.relay = OutboxRelay(self.maker, self.tables.outbox, bus, self.signal, poll_seconds=sweep_seconds)
        self.applied: list[str] = []

        async def keep(session, runtime, payload: CaseSubmittedV2) -> None:  # type: ignore[no-untyped-def]
            self.applied.append(payload.case_id)

        handlers = {CaseSubmittedV2.event_type: keep}
        self.consumer = DurableConsumer(
            bus, self.maker, self.tables.inbox, name="rest-test", stream="CASE", handlers=handlers, fetch_seconds=LONG
        )
        self.tasks: list[asyncio.Task] = []

    async def __aenter__(self) -> "Service":
        async with self.engine.begin() as connection:
            await connection.run_sync(self.metadata.create_all)
        return self

    async def __aexit__(self, *_: object) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.engine.dispose()

    def run(self, *parts) -> None:  # type: ignore[no-untyped-def]
        self.tasks += [asyncio.create_task(part) for part in parts]

    async def sent(self, event_id: str) -> bool:
        outbox = self.tables.outbox
        async with self.maker() as session:
            query = select(outbox.c.published_at).where(outbox.c.event_id == event_id)
            return (await session.execute(query)).scalar_one() is not None


async def _connected(url: str) -> Bus:
    bus = Bus(url)
    await asyncio.wait_for(bus.connect(), 15)
    return bus


async def _within(seconds: float, check) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    await eventually(check, timeout=seconds)
    assert time.monotonic() - started < seconds


async def test_a_commit_wakes_the_relay_and_an_event_ends_a_consumers_wait(tmp_path, nats_server):
    bus = await _connected(nats_server.url)
    try:
        async with Service(tmp_path, bus) as service:
            service.run(service.relay.run(), service.consumer.run())
            await eventually(lambda: asyncio.sleep(0, service.consumer.caught_up))  # its first fetch found nothing
            await asyncio.sleep(0.5)  # the relay swept at start and waits; the consumer's long fetch waits
            case_id = str(uuid.uuid4())
            async with service.maker() as session, session.begin():
                event_id = await stage(session, service.tables.outbox, "/case-intake", case_submitted(case_id))
            await _within(5, lambda: service.sent(event_id))
            await _within(5, lambda: asyncio.sleep(0, case_id in service.applied))
    finally:
        await bus.close()


async def test_rows_left_before_a_rolled_back_savepoint_go_out_without_waiting_for_the_sweep(tmp_path, nats_server):
    bus = await _connected(nats_server.url)
    try:
        async with Service(tmp_path, bus) as service:
            service.run(service.relay.run())
            await asyncio.sleep(0.5)  # swept at start: the next sweep is a minute away
            async with service.maker() as session, session.begin():
                kept = await stage(session, service.tables.outbox, "/case-intake", case_submitted(str(uuid.uuid4())))
                with pytest.raises(RuntimeError):
                    async with session.begin_nested():  # as an import's refused row: rolled back alone
                        await stage(session, service.tables.outbox, "/case-intake", case_submitted(str(uuid.uuid4())))
                        raise RuntimeError("refused")
            await _within(5, lambda: service.sent(kept))
    finally:
        await bus.close()


async def test_rows_another_process_committed_go_out_at_the_sweep(tmp_path, nats_server):
    bus = await _connected(nats_server.url)
    try:
        async with Service(tmp_path, bus, sweep_seconds=1.0) as service:
            service.run(service.relay.run())
            await asyncio.sleep(0.3)
            elsewhere = create_sessionmaker(service.engine)  # no hand-over to this relay: as another process
            async with elsewhere() as session, session.begin():
                event_id = await stage(
                    session, service.tables.outbox, "/case-intake", case_submitted(str(uuid.uuid4()))
                )
            await _within(5, lambda: service.sent(event_id))
    finally:
        await bus.close()


async def test_a_consumer_waiting_at_rest_asks_again_at_once_when_nats_comes_back(tmp_path, nats_server):
    bus = await _connected(nats_server.url)
    try:
        async with Service(tmp_path, bus) as service:
            service.run(service.consumer.run())
            await eventually(lambda: asyncio.sleep(0, service.consumer.caught_up))
            await asyncio.sleep(0.5)  # its pull request waits on the server, for a minute
            await asyncio.to_thread(nats_server.stop)  # the server forgets it
            await asyncio.to_thread(nats_server.start)
            await eventually(lambda: asyncio.sleep(0, bus.connected))
            case_id = str(uuid.uuid4())
            event = envelope("/case-intake", case_submitted(case_id))
            publisher = await nats.connect(nats_server.url)
            try:
                await publisher.jetstream().publish(event.type, event.model_dump_json().encode())
            finally:
                await publisher.close()
            await _within(10, lambda: asyncio.sleep(0, case_id in service.applied))
    finally:
        await bus.close()
