"""Exactly-once effects over at-least-once delivery: the inbox, redelivery after a failure, dead letters."""

import asyncio
import json
from contextlib import AsyncExitStack

import nats
from sqlalchemy import func, select

from services.deputy.models import InboxCase
from shared.messaging.bus import Bus
from shared.messaging.catalogue import CaseSubmittedV2, envelope
from shared.messaging.inbox import DurableConsumer
from tests.support import case_submitted, eventually, start_service


def submitted_event(deputy_id: str, case_id: str):
    return envelope("/case-intake", case_submitted(case_id, deputy_ids=[deputy_id]))


async def inbox_rows(service, case_id: str) -> int:
    async with service.runtime.maker() as session:
        query = select(func.count()).select_from(InboxCase).where(InboxCase.case_id == case_id)
        return (await session.execute(query)).scalar_one()


async def publish_raw(url: str, event, message_id: str) -> None:
    connection = await nats.connect(url)
    try:
        await connection.jetstream().publish(
            event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": message_id}
        )
    finally:
        await connection.close()


async def test_the_same_event_delivered_twice_has_one_effect(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        event = submitted_event("5a1b2c3d-0000-4000-8000-000000000001", "0c9d6f7e-1111-4222-8333-944455556666")
        # Two different message ids defeat JetStream's duplicate window: only the inbox stands between.
        await publish_raw(nats_server.url, event, "first-copy")
        await publish_raw(nats_server.url, event, "second-copy")
        await eventually(lambda: inbox_rows(deputy, event.data["case_id"]))
        await asyncio.sleep(0.5)
        assert await inbox_rows(deputy, event.data["case_id"]) == 1


async def test_a_handler_that_fails_once_gets_the_event_again_and_applies_it_once(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        calls = []
        real_handler = deputy.runtime.consumers[0].handlers[CaseSubmittedV2.event_type]

        async def fails_the_first_time(session, runtime, payload):
            calls.append(payload.case_id)
            if len(calls) == 1:
                raise RuntimeError("database hiccup")
            await real_handler(session, runtime, payload)

        deputy.runtime.consumers[0].handlers[CaseSubmittedV2.event_type] = fails_the_first_time
        event = submitted_event("5a1b2c3d-0000-4000-8000-000000000002", "0c9d6f7e-2222-4222-8333-944455556666")
        await publish_raw(nats_server.url, event, event.id)
        await eventually(lambda: inbox_rows(deputy, event.data["case_id"]))
        assert len(calls) == 2
        assert await inbox_rows(deputy, event.data["case_id"]) == 1


async def test_an_event_that_always_fails_is_parked_on_the_dead_letter_subject(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        settings = databases.settings(
            "deputy", nats_server.url, keys.public, consumer_max_deliver=2, consumer_nak_delay_seconds=0.05
        )
        deputy = await start_service(stack, "deputy", settings)
        consumer: DurableConsumer = deputy.runtime.consumers[0]

        async def always_fails(session, runtime, payload):
            raise ValueError("cannot apply")

        consumer.handlers[CaseSubmittedV2.event_type] = always_fails
        event = submitted_event("5a1b2c3d-0000-4000-8000-000000000003", "0c9d6f7e-3333-4222-8333-944455556666")
        await publish_raw(nats_server.url, event, event.id)
        connection = await nats.connect(nats_server.url)
        try:
            subscription = await connection.jetstream().pull_subscribe(
                "deadletter.deputy.>", durable="operator", stream="DEADLETTER"
            )
            messages = await subscription.fetch(1, timeout=15)
            parked = json.loads(messages[0].data)
            assert parked["id"] == event.id
            assert messages[0].subject == f"deadletter.deputy.{event.type}"
            assert "cannot apply" in messages[0].headers["Error"]
        finally:
            await connection.close()
        assert await inbox_rows(deputy, event.data["case_id"]) == 0


async def publish_before_the_consumer_starts(url: str, copies: list[tuple[object, str]]) -> None:
    """Make the streams and queue the events, so that the consumer's first fetch takes them as one batch."""
    bus = Bus(url)
    await bus.connect()
    await bus.close()
    for event, message_id in copies:
        await publish_raw(url, event, message_id)


def deputy_case(number: int) -> tuple[str, str]:
    return f"5a1b2c3d-0000-4000-8000-0000000001{number:02d}", f"0c9d6f7e-4444-4222-8333-9444555566{number:02d}"


async def test_a_backlog_is_applied_in_batches_each_event_once(nats_server, databases, keys):
    events = [submitted_event(*deputy_case(number)) for number in range(30)]
    copies = [(event, event.id) for event in events] + [(event, f"again-{event.id}") for event in events[::3]]
    await publish_before_the_consumer_starts(nats_server.url, copies)
    async with AsyncExitStack() as stack:
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        consumer: DurableConsumer = deputy.runtime.consumers[0]
        batches = []
        real_apply_batch = consumer.apply_batch

        async def counting_apply_batch(batch_events, headers):
            batches.append(len(batch_events))
            return await real_apply_batch(batch_events, headers)

        consumer.apply_batch = counting_apply_batch

        async def all_arrived():
            return all([await inbox_rows(deputy, event.data["case_id"]) for event in events])

        await eventually(all_arrived)
        await asyncio.sleep(0.5)
        assert [await inbox_rows(deputy, event.data["case_id"]) for event in events] == [1] * len(events)
        assert max(batches, default=0) > 1  # a backlog is taken many events at a time


async def test_one_failing_event_in_a_batch_does_not_hold_back_the_others(nats_server, databases, keys):
    events = [submitted_event(*deputy_case(50 + number)) for number in range(6)]
    poison = events[2]
    await publish_before_the_consumer_starts(nats_server.url, [(event, event.id) for event in events])
    async with AsyncExitStack() as stack:
        settings = databases.settings(
            "deputy", nats_server.url, keys.public, consumer_max_deliver=2, consumer_nak_delay_seconds=0.05
        )
        deputy = await start_service(stack, "deputy", settings)
        consumer: DurableConsumer = deputy.runtime.consumers[0]
        real_handler = consumer.handlers[CaseSubmittedV2.event_type]

        async def fails_on_one_case(session, runtime, payload):
            if payload.case_id == poison.data["case_id"]:
                raise ValueError("cannot apply")
            await real_handler(session, runtime, payload)

        consumer.handlers[CaseSubmittedV2.event_type] = fails_on_one_case
        others = [event for event in events if event is not poison]

        async def others_arrived():
            return all([await inbox_rows(deputy, event.data["case_id"]) for event in others])

        await eventually(others_arrived)
        connection = await nats.connect(nats_server.url)
        try:
            subscription = await connection.jetstream().pull_subscribe(
                "deadletter.deputy.>", durable="operator-batch", stream="DEADLETTER"
            )
            parked = await subscription.fetch(1, timeout=15)
            assert json.loads(parked[0].data)["id"] == poison.id
        finally:
            await connection.close()
        assert [await inbox_rows(deputy, event.data["case_id"]) for event in others] == [1] * len(others)
        assert await inbox_rows(deputy, poison.data["case_id"]) == 0
