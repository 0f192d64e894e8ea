"""A villager who asked to be told by SMS: the number goes to the notification service on the private CONTACT
stream only — never in a case event, never kept in the case service's outbox once sent, and gone from the
stream once its one consumer has it."""

import json
from contextlib import AsyncExitStack

import nats
import pytest

from tests.integration.city import build_town
from tests.support import eventually

PHONE = "13822221111"


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def test_the_sms_number_travels_privately_and_is_not_kept_on_the_way(town):
    connection = await nats.connect(town.nats_url)
    try:
        stream = connection.jetstream()

        async def made():
            return await stream.stream_info("CONTACT")

        await eventually(made)
        contacts = await stream.pull_subscribe("contact.>", durable="notification-stand-in", stream="CONTACT")
        staff_filed = await town.file(town.staff(), channel="phone", contact_phone=PHONE, contact_preference="sms")
        await town.file(town.villager(), contact_phone="13900000000", contact_preference="phone")  # no SMS wanted

        [message] = await contacts.fetch(1, timeout=10)
        given = json.loads(message.data)
        assert given["type"] == "contact.case.given.v1"
        assert given["data"]["phone"] == PHONE and given["data"]["case_id"] == staff_filed["id"]
        await message.ack()
        with pytest.raises(nats.errors.TimeoutError):
            await contacts.fetch(1, timeout=1)  # the one who wanted no SMS is not passed on

        async def forgotten():
            kept = json.dumps(await town.outbox())
            info = await stream.stream_info("CONTACT")
            return "contact.case.given" not in kept and info.state.messages == 0

        await eventually(forgotten)
        case_events = json.dumps(await town.outbox())
        assert PHONE not in case_events and "13900000000" not in case_events
    finally:
        await connection.close()
