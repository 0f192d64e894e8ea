"""Notices that wait, through real NATS and the service's database, with the service's clock moved: the SMS to
a deputy whose case is still unaccepted 2 working hours after it reached them (once, to the number the account
gave, even one given after the routing; none when the case was accepted first; an urgent case's at once); the
reminder of a reception session's deputies on duty the day before (push and the in-app list; none for a
cancelled session, even when the cancellation is heard of first); an agency's officers told of a referral to
their organisation and reminded the day before it is due (not when it was answered; again for a new due date);
the NPC office told of a case escalated to the office (the second escalation, or the first of a case that never
reached a deputy), once."""

import asyncio
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.notification.models import ScheduledNotice
from shared.auth import Role
from shared.clock import CHINA, MovableClock
from shared.messaging.catalogue import (
    CaseAccepted,
    CaseEscalated,
    CaseReferred,
    GridCreated,
    ReferralAnswered,
    ReferralReturned,
    SessionCancelled,
    SessionScheduled,
)
from tests.integration.push_receiver import Browser, PushReceiver
from tests.integration.test_notification_service import deliveries, publish, push_env, register, started
from tests.support import case_submitted, eventually

__all__ = ["push_env"]  # the fixture, shared with the service's other tests

WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=CHINA).astimezone(UTC)


def accepted(case_id: str, deputies: list[str], at: datetime) -> CaseAccepted:
    return CaseAccepted(
        case_id=case_id,
        tracking_code="SS-2612-00002",
        grid_id=str(uuid.uuid4()),
        kind="request",
        category="water",
        from_status="assigned",
        to_status="accepted",
        deputy_ids=deputies,
        actor_deputy_id=deputies[0],
        at=at,
    )


async def sms_sent(service) -> list[dict]:  # type: ignore[no-untyped-def]
    return (await service.client.get("/dev/sms")).json()


async def plans(service) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as session:
        rows = (await session.scalars(select(ScheduledNotice))).all()
    return {row.tracking_code: row.status for row in rows}


async def test_a_case_still_unaccepted_two_working_hours_later_texts_its_deputies_once(
    push_env, nats_server, databases, keys
):
    clock = MovableClock(WEDNESDAY_10)
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, clock=clock)
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        first_headers = keys.headers(Role.deputy, subject="a-first", deputy_id=first)
        second_headers = keys.headers(Role.deputy, subject="a-second", deputy_id=second)
        await register(service, Browser(receiver.endpoint("first")), headers=first_headers, language="en")
        answer = await service.client.put("/preferences", json={"phone": "13812345678"}, headers=first_headers)
        assert answer.status_code == 200, answer.text
        await register(service, Browser(receiver.endpoint("second")), headers=second_headers)

        waiting, taken, urgent = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        await publish(
            nats_server.url,
            case_submitted(waiting, deputy_ids=[first, second], at=clock.now(), tracking_code="SS-2612-00001"),
            case_submitted(taken, deputy_ids=[first], at=clock.now(), tracking_code="SS-2612-00002"),
            case_submitted(urgent, deputy_ids=[first], at=clock.now(), tracking_code="SS-2612-00003", urgent=True),
        )

        async def routed_pushes():
            return len(receiver.for_device("first")) == 3 and len(receiver.for_device("second")) == 1

        await eventually(routed_pushes)
        [at_once] = await eventually(lambda: sms_sent(service))
        assert "SS-2612-00003" in at_once["text"]  # an urgent case: SMS at once
        assert await plans(service) == {"SS-2612-00001": "waiting", "SS-2612-00002": "waiting"}

        await publish(nats_server.url, accepted(taken, [first], clock.now() + timedelta(minutes=30)))

        async def cancelled():
            return (await plans(service))["SS-2612-00002"] == "cancelled"

        await eventually(cancelled)
        # the second deputy gives a number after the case reached them: it is the number at the time that counts
        answer = await service.client.put("/preferences", json={"phone": "13900001111"}, headers=second_headers)
        assert answer.status_code == 200, answer.text
        clock.advance(timedelta(hours=1, minutes=59))
        await asyncio.sleep(1)  # several polls of the scheduler: not yet
        assert len(await sms_sent(service)) == 1

        clock.advance(timedelta(minutes=1))

        async def texted():
            sent = await sms_sent(service)
            return sent if len(sent) == 3 else None

        sent = await eventually(texted)
        late = {item["phone"]: item["text"] for item in sent[:2]}
        assert set(late) == {"13812345678", "13900001111"}
        assert late["13812345678"].startswith("【") and "SS-2612-00001" in late["13812345678"]
        assert "still not accepted" in late["13812345678"]  # the language the account chose
        assert "仍未受理" in late["13900001111"] and all(len(text) <= 70 for text in late.values())
        assert await plans(service) == {"SS-2612-00001": "given", "SS-2612-00002": "cancelled"}

        # the same filing again (another event id, the same facts) plans nothing new
        await publish(
            nats_server.url,
            case_submitted(waiting, deputy_ids=[first, second], at=WEDNESDAY_10, tracking_code="SS-2612-00001"),
        )
        clock.advance(timedelta(days=1))
        await asyncio.sleep(1)
        assert len(await sms_sent(service)) == 3
        rows = await deliveries(service, kind="case_unaccepted")
        assert sorted((row.channel, row.url) for row in rows) == [("sms", f"/deputy/case/{waiting}")] * 2
        assert len(receiver.for_device("first")) == 3  # SMS only: no push again
        mine = (await service.client.get("/notifications", headers=first_headers)).json()
        assert [item["kind"] for item in mine["items"]][:1] == ["case_unaccepted"]


async def test_a_case_filed_on_friday_afternoon_waits_for_monday(push_env, nats_server, databases, keys):
    friday = MovableClock(datetime(2026, 12, 4, 17, 0, tzinfo=CHINA).astimezone(UTC))
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys, clock=friday)
        deputy = str(uuid.uuid4())
        headers = keys.headers(Role.deputy, subject="a-d", deputy_id=deputy)
        assert (await service.client.put("/preferences", json={"phone": "13812345678"}, headers=headers)).is_success
        await publish(nats_server.url, case_submitted(str(uuid.uuid4()), deputy_ids=[deputy], at=friday.now()))

        async def planned():
            async with service.runtime.maker() as session:
                return (await session.scalars(select(ScheduledNotice))).all()

        [row] = await eventually(planned)
        assert row.due_at == datetime(2026, 12, 7, 10, 0, tzinfo=CHINA).astimezone(UTC)
        friday.advance(timedelta(days=2))  # Sunday 17:00
        await asyncio.sleep(0.6)
        assert await sms_sent(service) == []
        friday.advance(timedelta(hours=17))  # Monday 10:00
        [sms] = await eventually(lambda: sms_sent(service))
        assert sms["phone"] == "13812345678" and sms["kind"] == "case_unaccepted"


def scheduled(session_id: str, starts_at: datetime, deputies: list[str]) -> SessionScheduled:
    return SessionScheduled(
        session_id=session_id,
        station_id=str(uuid.uuid4()),
        mode="station",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        capacity=10,
        topic="",
        deputy_ids=deputies,
        organisations=[],
    )


def cancelled(session_id: str, starts_at: datetime, deputies: list[str]) -> SessionCancelled:
    return SessionCancelled(
        session_id=session_id,
        station_id=str(uuid.uuid4()),
        starts_at=starts_at,
        reason="台风",
        deputy_ids=deputies,
        booking_ids=[],
        at=starts_at - timedelta(days=1),
    )


async def test_the_deputies_on_duty_hear_of_their_session_the_day_before_and_of_a_cancelled_one_nothing(
    push_env, nats_server, databases, keys
):
    clock = MovableClock(WEDNESDAY_10)
    friday_9 = datetime(2026, 12, 4, 9, 0, tzinfo=CHINA).astimezone(UTC)
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, clock=clock)
        with_phone, without = str(uuid.uuid4()), str(uuid.uuid4())
        phone_headers = keys.headers(Role.deputy, subject="a-phone", deputy_id=with_phone)
        browser = Browser(receiver.endpoint("phone"))
        await register(service, browser, headers=phone_headers)
        no_device = keys.headers(Role.deputy, subject="a-none", deputy_id=without)
        assert (await service.client.put("/preferences", json={"language": "en"}, headers=no_device)).is_success

        held, dropped, dropped_first = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        station = "/station-scheduling"
        await publish(nats_server.url, cancelled(dropped_first, friday_9, [with_phone]), source=station)
        await publish(
            nats_server.url,
            scheduled(held, friday_9, [with_phone, without]),
            scheduled(dropped, friday_9 + timedelta(hours=5), [with_phone]),
            scheduled(dropped_first, friday_9, [with_phone]),  # heard of after its cancellation
            source=station,
        )
        await publish(nats_server.url, cancelled(dropped, friday_9 + timedelta(hours=5), [with_phone]), source=station)

        async def all_heard():
            async with service.runtime.maker() as session:
                rows = (await session.scalars(select(ScheduledNotice))).all()
            statuses = sorted(row.status for row in rows)
            return statuses == ["cancelled", "cancelled", "waiting"] and not [
                row for row in rows if row.session_id == dropped and row.status != "cancelled"
            ]

        await eventually(all_heard)
        clock.advance(timedelta(hours=22, minutes=59))  # Thursday 08:59
        await asyncio.sleep(0.6)
        assert receiver.for_device("phone") == []
        clock.advance(timedelta(minutes=1))  # Thursday 09:00, the day before

        [push] = await eventually(lambda: _arrived(receiver))
        message = browser.decrypt(push.body)
        assert message["step"] == "session_tomorrow" and message["url"] == "/deputy/duty"
        assert message["body"] == "您12月4日 09:00有一场代表接待值班，请准时参加。"
        assert message["tracking_code"] == "" and "台风" not in str(message)
        listed = (await service.client.get("/notifications", headers=no_device)).json()
        assert [(item["kind"], item["url"]) for item in listed["items"]] == [("session_tomorrow", "/deputy/duty")]
        assert listed["items"][0]["body"] == "You are on duty at a reception on 4 Dec 09:00."
        mine = (await service.client.get("/notifications", headers=phone_headers)).json()
        assert mine["total"] == 1  # the push and the in-app row are one notice

        await publish(nats_server.url, scheduled(held, friday_9, [with_phone, without]), source=station)
        clock.advance(timedelta(hours=1))
        await asyncio.sleep(1)
        rows = await deliveries(service)
        assert sorted((row.recipient, row.channel, row.session_id) for row in rows) == [
            ("account:a-none", "app", held),
            ("account:a-phone", "app", held),
            ("account:a-phone", "push", held),
        ]
        assert len(receiver.for_device("phone")) == 1


async def _arrived(receiver: PushReceiver):  # type: ignore[no-untyped-def]
    return receiver.for_device("phone")


def end_of_day(day: int) -> datetime:
    """A deadline as case intake writes it: the end (24:00) of a December day in Beijing."""
    return datetime(2026, 12, day + 1, 0, 0, tzinfo=CHINA).astimezone(UTC)


def referred(case_id: str, code: str, grid: str, organisation: str, due_at: datetime, at: datetime) -> CaseReferred:
    return CaseReferred(
        case_id=case_id,
        tracking_code=code,
        grid_id=grid,
        kind="request",
        category="water",
        from_status="in_progress",
        to_status="referred",
        deputy_ids=["d"],
        at=at,
        organisation=organisation,
        due_at=due_at,
    )


async def test_an_agencys_officers_hear_of_a_referral_and_the_day_before_it_is_due(
    push_env, nats_server, databases, keys
):
    clock = MovableClock(WEDNESDAY_10)
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, clock=clock)
        water = keys.headers(Role.agency_officer, subject="o-water", organisation="SSX-WATER")
        listed_only = keys.headers(Role.agency_officer, subject="o-water-2", organisation="SSX-WATER")
        roads = keys.headers(Role.agency_officer, subject="o-roads", organisation="SSX-ROADS")
        not_an_officer = keys.headers(Role.villager, subject="v-1", organisation="SSX-WATER")
        officer_phone = Browser(receiver.endpoint("water"))
        await register(service, officer_phone, headers=water, language="en")
        await register(service, Browser(receiver.endpoint("roads")), headers=roads)
        await register(service, Browser(receiver.endpoint("villager")), headers=not_an_officer)
        # an officer without a device is known once they open their list
        assert (await service.client.get("/notifications", headers=listed_only)).json()["total"] == 0

        grid = str(uuid.uuid4())
        created = GridCreated(grid_id=grid, code="G1", name="韶阳村第1组", level="group", parent_id=None)
        await publish(nats_server.url, created, source="/grid")
        answered_case, returned_case, kept_case = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        now = clock.now()
        await publish(
            nats_server.url,
            referred(kept_case, "SS-2612-00011", grid, "SSX-WATER", end_of_day(10), now),
            referred(answered_case, "SS-2612-00012", grid, "SSX-WATER", end_of_day(10), now),
            referred(returned_case, "SS-2612-00013", grid, "SSX-WATER", end_of_day(10), now),
        )

        async def three():
            return len(receiver.for_device("water")) == 3

        await eventually(three)
        first = officer_phone.decrypt(receiver.for_device("water")[0].body)
        assert first["step"] == "referral_arrived" and first["url"] == "/notifications"
        assert first["body"] == "Referral SS-2612-00011 in 韶阳村第1组: answer by 10 Dec."
        other = (await service.client.get("/notifications", headers=listed_only)).json()
        assert other["total"] == 3 and other["items"][0]["body"].endswith("请于12月10日前答复。")
        assert receiver.for_device("roads") == [] and receiver.for_device("villager") == []

        answer = ReferralAnswered(
            referral_id=str(uuid.uuid4()),
            case_id=answered_case,
            grid_id=grid,
            organisation="SSX-WATER",
            deputy_ids=["d"],
            at=now,
        )
        sent_back = ReferralReturned(
            referral_id=str(uuid.uuid4()),
            case_id=returned_case,
            grid_id=grid,
            organisation="SSX-WATER",
            deputy_ids=["d"],
            due_at=end_of_day(15),
            at=now,
        )
        await publish(nats_server.url, answer, sent_back)

        async def settled():
            async with service.runtime.maker() as session:
                rows = (await session.scalars(select(ScheduledNotice))).all()
            return sorted((row.tracking_code, row.status, row.due_at) for row in rows)

        def nine(day: int) -> datetime:
            return datetime(2026, 12, day, 9, 0, tzinfo=CHINA).astimezone(UTC)

        expected = [
            ("SS-2612-00011", "waiting", nine(9)),
            ("SS-2612-00012", "cancelled", nine(9)),
            ("SS-2612-00013", "cancelled", nine(9)),
            ("SS-2612-00013", "waiting", nine(14)),  # the new due date, the case's code kept
        ]
        await eventually(lambda: _equal(settled, expected))

        clock.advance(nine(9) - clock.now())

        async def reminded():
            return len(receiver.for_device("water")) == 4

        await eventually(reminded)
        due = officer_phone.decrypt(receiver.for_device("water")[3].body)
        assert (due["step"], due["tracking_code"]) == ("referral_due", "SS-2612-00011")
        assert due["body"] == "Referral SS-2612-00011 (韶阳村第1组) is due tomorrow, 10 Dec."
        clock.advance(nine(14) - clock.now())

        async def reminded_again():
            return len(receiver.for_device("water")) == 5

        await eventually(reminded_again)
        again = officer_phone.decrypt(receiver.for_device("water")[4].body)
        assert (again["step"], again["tracking_code"]) == ("referral_due", "SS-2612-00013")
        assert again["body"].endswith("15 Dec.")
        listed = (await service.client.get("/notifications", headers=listed_only)).json()
        assert [item["kind"] for item in listed["items"]][:2] == ["referral_due", "referral_due"]


async def _equal(check, expected):  # type: ignore[no-untyped-def]
    return await check() == expected


def escalated(case_id: str, code: str, from_status: str, deputies: list[str], at: datetime) -> CaseEscalated:
    return CaseEscalated(
        case_id=case_id,
        tracking_code=code,
        grid_id=str(uuid.uuid4()),
        kind="request",
        category="water",
        from_status=from_status,
        to_status="escalated",
        deputy_ids=deputies,
        at=at,
    )


async def test_the_office_hears_of_a_case_escalated_to_the_office_once(push_env, nats_server, databases, keys):
    clock = MovableClock(WEDNESDAY_10)
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, clock=clock)
        office = keys.headers(Role.npc_office, subject="office-1")
        office_phone = Browser(receiver.endpoint("office"))
        await register(service, office_phone, headers=office)
        listing_office = keys.headers(Role.npc_office, subject="office-2")
        assert (await service.client.get("/notifications", headers=listing_office)).json()["total"] == 0
        head = str(uuid.uuid4())
        await register(
            service, Browser(receiver.endpoint("head")), headers=keys.headers(Role.deputy, subject="h", deputy_id=head)
        )
        await register(service, Browser(receiver.endpoint("staff")), headers=keys.headers(Role.station_staff))

        late, unrouted = str(uuid.uuid4()), str(uuid.uuid4())
        at = clock.now()
        to_head = escalated(late, "SS-2612-00021", "accepted", ["d", head], at)
        await publish(nats_server.url, to_head, same_event_twice=True)  # the same escalation twice: counted once

        async def head_told():
            return receiver.for_device("head")

        await eventually(head_told)
        await asyncio.sleep(0.5)
        assert receiver.for_device("office") == []  # the township's grid head first
        await publish(
            nats_server.url,
            escalated(late, "SS-2612-00021", "escalated", ["d", head], at + timedelta(days=3)),
            escalated(unrouted, "SS-2612-00022", "submitted", [], at),  # it reached no deputy: the office at once
        )

        async def office_told():
            return len(receiver.for_device("office")) == 2

        await eventually(office_told)
        messages = [office_phone.decrypt(item.body) for item in receiver.for_device("office")]
        assert [(m["step"], m["tracking_code"], m["url"]) for m in messages] == [
            ("office_escalated", "SS-2612-00021", f"/office/case/{late}"),
            ("office_escalated", "SS-2612-00022", f"/office/case/{unrouted}"),
        ]
        assert messages[0]["body"] == "网格诉求SS-2612-00021已升级至人大办督办，请查看。"
        listed = (await service.client.get("/notifications", headers=listing_office)).json()
        assert sorted(item["tracking_code"] for item in listed["items"]) == ["SS-2612-00021", "SS-2612-00022"]
        assert receiver.for_device("staff") == []
        assert len(receiver.for_device("head")) == 2  # both escalations of its case named the head
