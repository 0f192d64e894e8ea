"""Web Push end to end: a deputy's browser subscribes with keys the test made, a case filed in the deputy's
grid (through case intake and real NATS) arrives at the local push service encrypted to those keys, signed
with VAPID; a case in another grid sends that deputy nothing."""

from contextlib import AsyncExitStack

import pytest

from shared.auth import Role
from tests.integration.city import build_city, case_body
from tests.integration.push_receiver import Browser, DaytimeClock, PushReceiver, vapid_valid
from tests.support import eventually, start_service


@pytest.fixture
def push_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WEBPUSH_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("VAPID_PRIVATE_KEY_FILE", str(tmp_path / "vapid.pem"))
    monkeypatch.setenv("SMS_DEV_FILE", str(tmp_path / "sms.jsonl"))
    monkeypatch.setenv("NOTIFY_POLL_SECONDS", "0.2")
    return tmp_path


async def start_notification(stack, nats_server, databases, keys):  # type: ignore[no-untyped-def]
    service = await start_service(
        stack, "notification", databases.settings("notification", nats_server.url, keys.public)
    )
    service.runtime.clock = DaytimeClock()  # outside quiet hours (21:00-08:00 Beijing time) whenever the test runs
    return service


async def test_a_case_in_the_deputys_grid_reaches_their_browser_encrypted(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        notification = await start_notification(stack, nats_server, databases, keys)
        city = await build_city(stack, nats_server, databases, keys)
        browser = Browser(receiver.endpoint("deputy-phone"))
        answer = await notification.client.post(
            "/subscriptions",
            json={"subscription": browser.subscription()},
            headers=keys.headers(Role.deputy, subject="account-d1", deputy_id=city.deputy_id),
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["signed_in"] is True

        case = (await city.case_intake.client.post("/cases", json=case_body(city))).json()

        async def arrived():
            return receiver.for_device("deputy-phone")

        [push] = await eventually(arrived, timeout=30)
        assert push.headers["Content-Encoding"] == "aes128gcm"
        assert push.headers["TTL"].isdigit() and push.headers["Urgency"] == "normal"
        assert vapid_valid(push.headers["Authorization"], f"http://127.0.0.1:{receiver.port}")
        message = browser.decrypt(push.body)
        assert message["tracking_code"] == case["tracking_code"]
        assert message["step"] == "case_routed"
        assert message["url"] == f"/deputy/case/{case['id']}"
        assert message["grid"] == "韶阳村第1组"
        assert set(message) == {"id", "step", "tracking_code", "grid", "url", "title", "body"}
        assert "水费" not in json_text(message)  # nothing of the description reaches the lock screen
        assert push.headers["Topic"] == message["id"].replace("-", "")


def json_text(message: dict) -> str:
    return " ".join(str(value) for value in message.values())


async def test_a_case_in_another_grid_sends_that_deputy_nothing(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        notification = await start_notification(stack, nats_server, databases, keys)
        city = await build_city(stack, nats_server, databases, keys)
        office = keys.headers(Role.npc_office)
        village = (await city.grid.client.get(f"/grids/{city.group_id}")).json()["parent_id"]
        other_group = await city.grid.client.post(
            "/grids",
            headers=office,
            json={"code": "T01V01G02", "name": "韶阳村第2组", "level": "group", "parent_id": village},
        )
        other_deputy = await city.deputy.client.post(
            "/deputies",
            headers=office,
            json={"code": "D9002", "name": "李秋云", "level": "township", "district": "韶山乡第4选区"},
        )
        other_group_id, other_deputy_id = other_group.json()["id"], other_deputy.json()["id"]
        await city.grid.client.post(
            "/assignments",
            headers=office,
            json={"grid_id": other_group_id, "deputy_id": other_deputy_id, "starts_on": "2026-01-01"},
        )
        mine, theirs = Browser(receiver.endpoint("mine")), Browser(receiver.endpoint("theirs"))
        for browser, subject, deputy in ((mine, "account-d1", city.deputy_id), (theirs, "account-d2", other_deputy_id)):
            answer = await notification.client.post(
                "/subscriptions",
                json={"subscription": browser.subscription(), "language": "en"},
                headers=keys.headers(Role.deputy, subject=subject, deputy_id=deputy),
            )
            assert answer.status_code == 201, answer.text

        codes: list[str] = []  # a case filed before case intake heard of the assignment is routed when it does

        async def filed():
            answer = await city.case_intake.client.post("/cases", json=case_body(city, grid_id=other_group_id))
            if answer.status_code == 201:
                codes.append(answer.json()["tracking_code"])
            return answer.json() if answer.status_code == 201 and answer.json()["assigned_deputy_ids"] else None

        case = await eventually(filed)
        assert case["assigned_deputy_ids"] == [other_deputy_id]

        async def theirs_arrived():
            return receiver.for_device("theirs")

        [push, *_] = await eventually(theirs_arrived)
        message = theirs.decrypt(push.body)
        assert message["tracking_code"] in codes
        assert message["title"] == "A new case for you"  # the language the account chose
        assert receiver.for_device("mine") == []
