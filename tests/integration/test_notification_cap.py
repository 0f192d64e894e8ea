"""The hourly cap through real NATS and the service's database: a deputy with two phones gets at most
NOTIFY_HOURLY_CAP messages in a clock hour (an urgent case always), the rest folded into one summary per phone
sent when the next hour begins ("and 2 more: open the app"), and each message still once: nothing folded is
sent, and a redelivered event decides nothing new."""

import asyncio
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Role
from shared.clock import CHINA, MovableClock
from tests.integration.push_receiver import Browser, PushReceiver
from tests.integration.test_notification_service import deliveries, publish, push_env, register, started
from tests.support import case_submitted, eventually

__all__ = ["push_env"]


@pytest.fixture
def capped(push_env, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NOTIFY_HOURLY_CAP", "3")
    return push_env


async def test_over_the_cap_an_hour_the_rest_is_folded_into_one_summary_per_phone(capped, nats_server, databases, keys):
    clock = MovableClock(datetime(2026, 12, 2, 10, 5, tzinfo=CHINA).astimezone(UTC))
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, clock=clock)
        deputy = str(uuid.uuid4())
        headers = keys.headers(Role.deputy, subject="a-d", deputy_id=deputy)
        phones = {name: Browser(receiver.endpoint(name)) for name in ("one", "two")}
        for browser in phones.values():
            await register(service, browser, headers=headers)
        assert (await service.client.put("/preferences", json={"phone": "13812345678"}, headers=headers)).is_success

        cases = [
            case_submitted(str(uuid.uuid4()), deputy_ids=[deputy], at=clock.now(), tracking_code=f"SS-2612-0010{n}")
            for n in range(5)
        ]
        await publish(nats_server.url, *cases)

        async def folded_and_sent():
            rows = await deliveries(service, channel="push")
            statuses = Counter(row.status for row in rows if row.kind == "case_routed")
            return statuses if statuses == {"sent": 6, "folded": 4} else None

        await eventually(folded_and_sent)
        assert {name: len(receiver.for_device(name)) for name in phones} == {"one": 3, "two": 3}
        summaries = await deliveries(service, kind="summary")
        assert (
            sorted((row.channel, row.status, row.folded, row.url) for row in summaries)
            == [("push", "pending", 2, "/notifications")] * 2
        )
        assert {row.not_before for row in summaries} == {datetime(2026, 12, 2, 11, 0, tzinfo=CHINA).astimezone(UTC)}

        urgent = case_submitted(
            str(uuid.uuid4()), deputy_ids=[deputy], at=clock.now(), tracking_code="SS-2612-00199", urgent=True
        )
        await publish(nats_server.url, urgent)

        async def urgent_arrived():
            return all(len(receiver.for_device(name)) == 4 for name in phones)

        await eventually(urgent_arrived)  # over the cap, but urgent
        [sms] = (await service.client.get("/dev/sms")).json()
        assert "SS-2612-00199" in sms["text"]

        await publish(nats_server.url, cases[4])  # a folded one again: nothing new
        await asyncio.sleep(0.6)
        clock.advance(timedelta(minutes=55))  # 11:00

        async def summed_up():
            return all(len(receiver.for_device(name)) == 5 for name in phones)

        await eventually(summed_up)
        await asyncio.sleep(0.6)
        told = {}
        for name, browser in phones.items():
            messages = [browser.decrypt(item.body) for item in receiver.for_device(name)]
            assert len({message["id"] for message in messages}) == 5  # each message once
            last = messages[-1]
            assert (last["step"], last["url"], last["body"]) == (
                "summary",
                "/notifications",
                "另有2条通知，请打开应用查看。",
            )
            told[name] = {message["tracking_code"] for message in messages if message["step"] == "case_routed"}
            assert len(told[name]) == 4 and "SS-2612-00199" in told[name]
        assert told["one"] == told["two"]  # the same messages folded on both phones
        assert Counter(row.status for row in await deliveries(service, kind="summary")) == {"sent": 2}
        listed = (await service.client.get("/notifications", headers=headers)).json()
        assert listed["total"] == 6  # every case is in the list, where the summary leads; the summary is not
        assert len((await service.client.get("/dev/sms")).json()) == 1
        office = keys.headers(Role.npc_office)
        log = (await service.client.get("/deliveries", params={"status": "folded"}, headers=office)).json()
        assert log["total"] == 4 and all("cap of 3" in item["reason"] for item in log["items"])
