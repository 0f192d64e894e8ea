"""The relay marks an outbox row sent only once the stream its consumers read stored the event: an
acknowledgement from another stream, a server that refuses, or a bus whose streams could not be made leave the
row waiting (it is sent once things are right again)."""

import asyncio
import uuid
from types import SimpleNamespace

import nats
import pytest
from nats.js.api import PubAck, StreamConfig
from sqlalchemy import select

from shared.config import Settings
from shared.db import create_engine, create_sessionmaker, new_metadata
from shared.messaging.bus import Bus
from shared.messaging.outbox import OUTBOX_SIGNAL_KEY, OutboxSignal, stage
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import messaging_tables
from tests.support import case_submitted

pytestmark = pytest.mark.timeout(60)

CATCH_ALL = StreamConfig(name="EVERYTHING", subjects=["case.>"])
"""A stream that captures the case service's subjects: not the one the consumers read (CASE)."""


class Outbox:
    """An outbox table in a SQLite file, a relay over it, and a way to stage an event and read a row back."""

    def __init__(self, folder, bus: Bus) -> None:
        self.metadata = new_metadata()
        self.tables = messaging_tables(self.metadata)
        settings = Settings(service_name="relay-test", database_url=f"sqlite+aiosqlite:///{folder / 'outbox.db'}")
        self.engine = create_engine(settings)
        self.signal = OutboxSignal()
        self.maker = create_sessionmaker(self.engine, info={OUTBOX_SIGNAL_KEY: self.signal})
        self.relay = OutboxRelay(self.maker, self.tables.outbox, bus, self.signal, poll_seconds=0.05)

    async def __aenter__(self) -> "Outbox":
        async with self.engine.begin() as connection:
            await connection.run_sync(self.metadata.create_all)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.engine.dispose()

    async def stage_case(self) -> str:
        async with self.maker() as session, session.begin():
            return await stage(session, self.tables.outbox, "/case-intake", case_submitted(str(uuid.uuid4())))

    async def sent(self, event_id: str) -> bool:
        outbox = self.tables.outbox
        async with self.maker() as session:
            query = select(outbox.c.published_at).where(outbox.c.event_id == event_id)
            return (await session.execute(query)).scalar_one() is not None


class AnotherStreamAcknowledges:
    """A JetStream that stores every message in a stream of its own choosing, whatever the publisher expects."""

    def __init__(self) -> None:
        self.published: list[str] = []

    async def publish(self, subject, payload=b"", timeout=None, stream=None, headers=None):  # type: ignore[no-untyped-def]
        self.published.append(subject)
        return PubAck(stream="EVERYTHING", seq=len(self.published))


async def test_an_acknowledgement_from_another_stream_does_not_mark_the_row_sent(tmp_path):
    bus = Bus("nats://127.0.0.1:1")
    bus.nc = SimpleNamespace(is_connected=True)  # type: ignore[assignment]
    bus.js = AnotherStreamAcknowledges()  # type: ignore[assignment]
    bus.ready.set()
    async with Outbox(tmp_path, bus) as outbox:
        event_id = await outbox.stage_case()
        with pytest.raises(Exception, match="EVERYTHING"):
            await outbox.relay.relay_batch()
        assert bus.js.published == ["case.case.submitted.v2"]  # type: ignore[attr-defined]
        assert not await outbox.sent(event_id)


async def test_a_row_stays_unsent_while_another_stream_captures_its_subject_on_the_server(tmp_path, nats_server):
    bus = Bus(nats_server.url)
    await asyncio.wait_for(bus.connect(), 15)
    admin = await nats.connect(nats_server.url)
    try:
        async with Outbox(tmp_path, bus) as outbox:
            js = admin.jetstream()
            await js.delete_stream("CASE")
            await js.add_stream(CATCH_ALL)
            event_id = await outbox.stage_case()
            with pytest.raises(Exception):  # noqa: B017 - the server refuses, or the acknowledgement is wrong
                await outbox.relay.relay_batch()
            assert not await outbox.sent(event_id)
            assert (await js.stream_info("EVERYTHING")).state.messages == 0

            await js.delete_stream("EVERYTHING")
            await bus._ensure_streams()  # the stream the consumers read is back: the row goes out
            outbox.relay._swept_at = float("-inf")  # as after a failure in run(): sweep the table
            assert await outbox.relay.relay_batch() == 1
            assert await outbox.sent(event_id)
            assert (await js.stream_info("CASE")).state.messages == 1
    finally:
        await admin.close()
        await bus.close()


async def test_a_bus_whose_streams_cannot_be_made_publishes_nothing(tmp_path, nats_server):
    admin = await nats.connect(nats_server.url)
    await admin.jetstream().add_stream(CATCH_ALL)  # the case service's stream cannot be made beside it
    bus = Bus(nats_server.url)
    connecting = asyncio.create_task(bus.connect())
    try:
        async with Outbox(tmp_path, bus) as outbox:
            event_id = await outbox.stage_case()
            await asyncio.sleep(1)
            assert not bus.ready.is_set()
            with pytest.raises(ConnectionError):
                await outbox.relay.relay_batch()
            assert not await outbox.sent(event_id)
            assert (await admin.jetstream().stream_info("EVERYTHING")).state.messages == 0

            await admin.jetstream().delete_stream("EVERYTHING")  # the bus keeps trying, and gets there
            await asyncio.wait_for(bus.ready.wait(), 15)
            outbox.relay._swept_at = float("-inf")
            assert await outbox.relay.relay_batch() == 1
            assert await outbox.sent(event_id)
    finally:
        connecting.cancel()
        await admin.close()
        await bus.close()
