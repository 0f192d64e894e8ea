"""Exactly-once effects over at-least-once delivery: the inbox, redelivery after a failure, dead letters."""

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import nats
from sqlalchemy import func, select

from services.deputy.models import InboxCase
from shared.events.bus import DurableConsumer
from shared.events.catalogue import CaseSubmitted, envelope
from tests.support import eventually, start_service


def submitted_event(deputy_id: str, case_id: str = "0c9d6f7e-1111-4222-8333-944455556666"):
    now = datetime.now(UTC)
    payload = CaseSubmitted(
        case_id=case_id,
        tracking_code="SS-2611-00001",
        grid_id=case_id,
        kind="request",
        category="water",
        channel="pwa",
        summary="水渠堵了",
        submitted_at=now,
        accept_due_at=now + timedelta(days=1),
        assigned_deputy_ids=[deputy_id],
    )
    return envelope("/case-intake", payload)


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
        event = submitted_event("5a1b2c3d-0000-4000-8000-000000000001")
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
        real_handler = deputy.runtime.consumers[0].handlers[CaseSubmitted.event_type]

        async def fails_the_first_time(session, runtime, payload):
            calls.append(payload.case_id)
            if len(calls) == 1:
                raise RuntimeError("database hiccup")
            await real_handler(session, runtime, payload)

        deputy.runtime.consumers[0].handlers[CaseSubmitted.event_type] = fails_the_first_time
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

        consumer.handlers[CaseSubmitted.event_type] = always_fails
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
