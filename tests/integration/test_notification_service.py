"""The notification service on its own, fed case events through real NATS: registering devices (and what a
stranger cannot register), following a case by its code, the push service's answers (gone, retry, refused),
redelivered events, preferences, quiet hours, SMS through the development sender, and the office's log."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import nats
import pytest
from sqlalchemy import func, select

from services.notification.models import Delivery, PushSubscription
from shared.auth import Role
from shared.clock import CHINA, MovableClock
from shared.messaging.catalogue import CaseReopened, CaseResolved, GridCreated, envelope
from tests.integration.push_receiver import Browser, DaytimeClock, PushReceiver
from tests.support import case_submitted, eventually, start_service

CODE = "SS-2612-00042"


@pytest.fixture
def push_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WEBPUSH_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("VAPID_PRIVATE_KEY_FILE", str(tmp_path / "vapid.pem"))
    monkeypatch.setenv("SMS_DEV_FILE", str(tmp_path / "sms.jsonl"))
    monkeypatch.setenv("NOTIFY_POLL_SECONDS", "0.2")
    return tmp_path


async def publish(nats_url: str, *payloads, source: str = "/case-intake", same_event_twice: bool = False) -> None:  # type: ignore[no-untyped-def]
    connection = await nats.connect(nats_url)
    stream = connection.jetstream()
    for payload in payloads:
        for _ in range(2 if same_event_twice else 1):
            event = envelope(source, payload)  # a new event id each time: the payload is the same
            await stream.publish(event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    await connection.close()


def resolved(case_id: str, code: str = CODE, **more) -> CaseResolved:  # type: ignore[no-untyped-def]
    return CaseResolved(
        case_id=case_id,
        tracking_code=code,
        grid_id=str(uuid.uuid4()),
        kind="request",
        category="water",
        from_status="in_progress",
        to_status="resolved",
        deputy_ids=["d"],
        at=datetime.now(UTC),
        **more,
    )


async def started(stack, nats_server, databases, keys, clock=None):  # type: ignore[no-untyped-def]
    service = await start_service(
        stack, "notification", databases.settings("notification", nats_server.url, keys.public)
    )
    service.runtime.clock = clock or DaytimeClock()
    return service


async def deliveries(service, **where) -> list[Delivery]:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as session:
        query = select(Delivery).filter_by(**where).order_by(Delivery.created_at)
        return list((await session.scalars(query)).all())


async def register(service, browser: Browser, headers=None, **body):  # type: ignore[no-untyped-def]
    answer = await service.client.post(
        "/subscriptions", json={"subscription": browser.subscription(), **body}, headers=headers or {}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://evil.example.com/push",
        "https://fcm.googleapis.com.evil.example.com/x",
        "file:///etc/passwd",
        "http://127.0.0.1/no-port",
    ],
)
async def test_a_stranger_cannot_make_the_service_fetch_a_url(endpoint, push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys)
        browser = Browser(endpoint)
        answer = await service.client.post(
            "/subscriptions", json={"subscription": browser.subscription(), "follow": [CODE]}
        )
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        async with service.runtime.maker() as session:
            assert await session.scalar(select(func.count()).select_from(PushSubscription)) == 0


async def test_keys_that_are_not_a_p256_point_are_refused(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        subscription = Browser(receiver.endpoint("a")).subscription()
        subscription["keys"]["p256dh"] = (
            "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        )
        answer = await service.client.post("/subscriptions", json={"subscription": subscription})
        assert answer.status_code == 422


async def test_a_villager_following_a_code_hears_the_answer_once_and_can_stop(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        phone, stranger = Browser(receiver.endpoint("villager")), Browser(receiver.endpoint("stranger"))
        registered = await register(service, phone, follow=[CODE])
        assert registered == {**registered, "signed_in": False, "follows": [CODE], "language": "zh-CN"}
        await register(service, stranger, follow=["SS-2612-00043"])
        case_id = str(uuid.uuid4())
        await publish(nats_server.url, resolved(case_id), same_event_twice=True)  # a redelivery under a new id

        [push] = await eventually(lambda: _arrived(receiver, "villager"))
        message = phone.decrypt(push.body)
        assert message["url"] == f"/track/{CODE}" and message["step"] == "case_resolved"
        assert "问题解决了吗" in message["body"]
        listed = (await service.client.get("/notifications", params={"code": CODE})).json()
        assert listed["total"] == 1 and listed["items"][0]["tracking_code"] == CODE
        assert len(await deliveries(service)) == 1  # the same event twice decided one message
        assert receiver.for_device("stranger") == []

        gone = await service.client.delete("/subscriptions", params={"endpoint": phone.endpoint})
        assert gone.status_code == 204
        reopened = CaseReopened(
            **{**resolved(case_id).model_dump(), "from_status": "resolved", "to_status": "in_progress"}
        )
        await publish(nats_server.url, reopened, resolved(str(uuid.uuid4()), code="SS-2612-00043"))
        await eventually(lambda: _arrived(receiver, "stranger"))
        assert len(receiver.for_device("villager")) == 1  # turned off: nothing more


async def _arrived(receiver: PushReceiver, device: str):  # type: ignore[no-untyped-def]
    return receiver.for_device(device)


async def test_a_device_the_push_service_no_longer_knows_is_removed(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        await register(service, Browser(receiver.endpoint("old")), follow=[CODE])
        receiver.status["old"] = 410
        await publish(nats_server.url, resolved(str(uuid.uuid4())))
        await eventually(lambda: _arrived(receiver, "old"))

        async def removed():
            async with service.runtime.maker() as session:
                return await session.scalar(select(func.count()).select_from(PushSubscription)) == 0

        await eventually(removed)
        [delivery] = await deliveries(service)
        assert delivery.status == "gone" and delivery.reason.startswith("410")


async def test_failures_are_retried_after_the_wait_asked_and_refusals_end_in_the_log(
    push_env, nats_server, databases, keys
):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        await register(service, Browser(receiver.endpoint("busy")), follow=[CODE])
        await register(service, Browser(receiver.endpoint("refusing")), follow=["SS-2612-00043"])
        receiver.status["busy"], receiver.headers["busy"] = 503, {"Retry-After": "1"}
        receiver.status["refusing"] = 400
        await publish(nats_server.url, resolved(str(uuid.uuid4())), resolved(str(uuid.uuid4()), code="SS-2612-00043"))
        await eventually(lambda: _arrived(receiver, "busy"))
        receiver.status["busy"] = 201

        async def twice():
            return len(receiver.for_device("busy")) >= 2

        await eventually(twice)
        first, second = receiver.for_device("busy")[:2]
        assert first.headers["Topic"] == second.headers["Topic"]  # the same message, tried again

        async def settled():
            rows = {d.tracking_code: d for d in await deliveries(service)}
            return rows if all(d.status in ("sent", "failed") for d in rows.values()) and len(rows) == 2 else None

        rows = await eventually(settled)
        assert (rows[CODE].status, rows[CODE].attempts) == ("sent", 2)
        assert rows["SS-2612-00043"].status == "failed" and rows["SS-2612-00043"].reason.startswith("400")
        assert len(receiver.for_device("refusing")) == 1  # a refusal is not repeated
        office = keys.headers(Role.npc_office)
        log = (await service.client.get("/deliveries", params={"status": "failed"}, headers=office)).json()
        assert [item["tracking_code"] for item in log["items"]] == ["SS-2612-00043"]
        figures = (await service.client.get("/figures", headers=office)).json()["days"]
        assert sum(row["sent"] for row in figures) == 1 and sum(row["failed"] for row in figures) == 1
        villager = keys.headers(Role.villager)
        assert (await service.client.get("/deliveries", headers=villager)).status_code == 403
        assert (await service.client.get("/figures", headers=villager)).status_code == 403


async def test_quiet_hours_hold_a_notice_until_morning_but_not_an_urgent_one(push_env, nats_server, databases, keys):
    night = MovableClock(datetime(2026, 12, 2, 23, 0, tzinfo=CHINA).astimezone(UTC))
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, clock=night)
        deputy = str(uuid.uuid4())
        await register(
            service, Browser(receiver.endpoint("d")), headers=keys.headers(Role.deputy, subject="a-d", deputy_id=deputy)
        )
        await publish(
            nats_server.url, case_submitted(str(uuid.uuid4()), deputy_ids=[deputy], tracking_code="SS-2612-00001")
        )
        await publish(
            nats_server.url,
            case_submitted(str(uuid.uuid4()), deputy_ids=[deputy], tracking_code="SS-2612-00002", urgent=True),
        )
        [push] = await eventually(lambda: _arrived(receiver, "d"))
        assert push.headers["Urgency"] == "high"

        async def both_decided():
            return len(await deliveries(service)) == 2

        await eventually(both_decided)
        waiting = (await deliveries(service, status="pending"))[0]
        assert waiting.tracking_code == "SS-2612-00001"
        assert waiting.not_before == datetime(2026, 12, 3, 8, 0, tzinfo=CHINA).astimezone(UTC)
        night.advance(timedelta(hours=9))
        service.runtime.wake.set()

        async def morning():
            return len(receiver.for_device("d")) == 2

        await eventually(morning)


async def test_a_deputy_who_turned_a_kind_off_is_not_told_and_sms_goes_to_their_own_number(
    push_env, nats_server, databases, keys
):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        deputy = str(uuid.uuid4())
        headers = keys.headers(Role.deputy, subject="a-d", deputy_id=deputy)
        await register(service, Browser(receiver.endpoint("d")), headers=headers)
        answer = await service.client.put(
            "/preferences",
            json={"phone": "13812345678", "items": [{"kind": "case_routed", "channel": "push", "enabled": False}]},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["phone"] == "138****5678" and answer.json()["devices"] == 1
        villager = keys.headers(Role.villager, subject="v-1")
        refused = await service.client.put("/preferences", json={"phone": "13900000000"}, headers=villager)
        assert refused.status_code == 403  # no SMS to a number nobody vouched for
        await publish(
            nats_server.url,
            GridCreated(
                grid_id=(grid := str(uuid.uuid4())), code="G1", name="韶阳村第1组", level="group", parent_id=None
            ),
        )
        await publish(
            nats_server.url,
            case_submitted(
                str(uuid.uuid4()), grid_id=grid, deputy_ids=[deputy], tracking_code="SS-2612-00007", urgent=True
            ),
        )

        async def texted():
            return (await service.client.get("/dev/sms")).json()

        [sms] = await eventually(texted)
        assert sms["phone"] == "13812345678" and "SS-2612-00007" in sms["text"] and len(sms["text"]) <= 70
        assert receiver.for_device("d") == []  # push of new cases is off for this deputy
        mine = (await service.client.get("/notifications", headers=headers)).json()
        assert [item["tracking_code"] for item in mine["items"]] == ["SS-2612-00007"]
