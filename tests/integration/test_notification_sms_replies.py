"""A villager stops SMS by replying TD (or T, 退订, 停止): the provider's push of replies (Aliyun SmsUp) at
`POST /sms/replies`, through the service's database and real NATS. Only with the operator's token (absent
setting: no route; a wrong token: refused); every SMS to that number stops (the cases' numbers forgotten, an
account's SMS turned off, a message not yet sent skipped); the same reply pushed again counts once; other
replies change nothing; nothing of the reply is kept but its id."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.notification.logic.replies import says_stop
from services.notification.models import CaseContact, Delivery, SmsReply
from shared.auth import Role
from shared.clock import CHINA, MovableClock
from shared.messaging.catalogue import CaseAccepted, CaseContactGiven, CaseReminded
from tests.integration.test_notification_service import publish, push_env, started
from tests.support import eventually, found_in, text_dump

__all__ = ["push_env"]

PHONE = "13655558888"
TOKEN = "a-long-random-secret-the-operator-chose"


def given(case_id: str, code: str, phone: str = PHONE) -> CaseContactGiven:
    grid = str(uuid.uuid4())
    return CaseContactGiven(case_id=case_id, tracking_code=code, grid_id=grid, phone=phone, at=datetime.now(UTC))


def uplink(sequence_id: int, content: str, phone: str = "86" + PHONE) -> dict:
    return {
        "phone_number": phone,
        "content": content,
        "send_time": "2026-12-03 10:00:00",
        "sign_name": "人大代表进网格",
        "dest_code": "1234",
        "sequence_id": sequence_id,
    }


async def contacts(service) -> set[str]:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as session:
        return set((await session.scalars(select(CaseContact.case_id))).all())


def test_the_stop_words_are_the_whole_reply():
    assert all(says_stop(word) for word in ("TD", "td", " T ", "退订", "停止。", "TD!"))
    assert not any(says_stop(word) for word in ("谢谢", "不要停止", "TDX", "", "问题还没解决"))


async def test_without_the_setting_there_is_no_route(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys)
        answer = await service.client.post("/sms/replies", params={"token": ""}, json=[uplink(1, "TD")])
        assert answer.status_code == 404


async def test_a_reply_of_td_stops_every_sms_to_that_number_once(push_env, monkeypatch, nats_server, databases, keys):
    monkeypatch.setenv("SMS_REPLY_TOKEN", TOKEN)
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=CHINA).astimezone(UTC)
    clock = MovableClock(noon)
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys, clock=clock)
        deputy = keys.headers(Role.deputy, subject="a-deputy", deputy_id="dep-1")
        answer = await service.client.put("/preferences", json={"phone": "+86" + PHONE}, headers=deputy)
        assert answer.status_code == 200, answer.text
        first, second, other = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        await publish(
            nats_server.url,
            given(first, "SS-AAAA-0000-0001"),
            given(second, "SS-AAAA-0000-0002"),
            given(other, "SS-AAAA-0000-0003", phone="13900002222"),
        )
        await eventually(lambda: _all_known(service, {first, second, other}))
        clock.advance(timedelta(hours=11))  # 23:00: quiet hours hold a message to the number until morning
        accepted = CaseAccepted(
            case_id=first,
            tracking_code="SS-AAAA-0000-0001",
            grid_id=str(uuid.uuid4()),
            kind="request",
            category="water",
            from_status="assigned",
            to_status="accepted",
            deputy_ids=["dep-1"],
            actor_deputy_id="dep-1",
            at=clock.now(),
        )
        await publish(nats_server.url, accepted)
        [waiting] = await eventually(lambda: _sms(service))
        assert waiting.status == "pending"

        for token in (None, "wrong", TOKEN[:-1]):
            params = {"token": token} if token else {}
            refused = await service.client.post("/sms/replies", params=params, json=[uplink(1, "TD")])
            assert refused.status_code == 401
        assert await contacts(service) == {first, second, other}

        replies = [uplink(7001, "谢谢"), uplink(7002, "TD"), uplink(7003, "退订", phone="13700000000")]
        answer = await service.client.post("/sms/replies", params={"token": TOKEN}, json=replies)
        assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "接收成功"}
        assert await contacts(service) == {other}
        [skipped] = await _sms(service)
        assert (skipped.status, skipped.reason) == ("skipped", "skipped: the villager replied stop")
        choices = (await service.client.get("/preferences", headers=deputy)).json()["items"]
        assert {item["enabled"] for item in choices if item["channel"] == "sms"} == {False}
        assert {item["enabled"] for item in choices if item["channel"] == "push"} == {True}

        # the villager asks for SMS again on a new case; the provider pushes the old stop again: it counts once
        again = str(uuid.uuid4())
        await publish(nats_server.url, given(again, "SS-AAAA-0000-0004"))
        await eventually(lambda: _all_known(service, {again, other}))
        answer = await service.client.post("/sms/replies", headers={"X-Reply-Token": TOKEN}, json=[uplink(7002, "TD")])
        assert answer.status_code == 200
        assert await contacts(service) == {other, again}

        chase = CaseReminded(
            case_id=other,
            tracking_code="SS-AAAA-0000-0003",
            grid_id=str(uuid.uuid4()),
            deadline="resolve",
            stage="chase",
            due_at=clock.now(),
            deputy_ids=["dep-1"],
            at=clock.now(),
        )
        other_accepted = accepted.model_copy(update={"case_id": other, "tracking_code": "SS-AAAA-0000-0003"})
        await publish(nats_server.url, chase, other_accepted)  # applied in this order

        async def the_other_number_texted():
            return [row for row in await _all(service) if row.target == "13900002222"] or None

        await eventually(the_other_number_texted)
        assert [row for row in await _all(service) if row.kind == "case_chased"] == []  # SMS off, no device
        async with service.runtime.maker() as session:
            kept = (await session.scalars(select(SmsReply))).all()
        assert sorted((row.sequence_id, row.stopped) for row in kept) == [
            ("7001", False),
            ("7002", True),
            ("7003", True),
        ]
        dump = await text_dump(service.runtime.engine)
        assert found_in(dump, "谢谢") == [] and found_in(dump, "退订") == []


async def _all_known(service, wanted: set[str]) -> bool:  # type: ignore[no-untyped-def]
    return wanted <= await contacts(service)


async def _all(service) -> list[Delivery]:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as session:
        return list((await session.scalars(select(Delivery))).all())


async def _sms(service) -> list[Delivery]:  # type: ignore[no-untyped-def]
    rows = await _all(service)
    return [row for row in rows if row.channel == "sms" and row.case_id and row.target != "13900002222"]
