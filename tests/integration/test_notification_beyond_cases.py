"""Notices of other services' steps, through real NATS and the service's database: a villager's bookings (the
station service itself publishing: confirmed, promoted from the waitlist, cancelled with its session; a walk-in
tells nobody), a micro-project approved and completed (the followers and the SMS number of each case it answers,
once however often the event comes), an objection to a public notice (the NPC office), deputies' suggestions
(the lead organisation's officers when assigned and due soon, the deputies when answered)."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from services.notification.models import Delivery
from shared.auth import Role
from shared.clock import CHINA
from shared.messaging.catalogue import (
    CaseContactGiven,
    ObjectionRaised,
    ProjectApproved,
    ProjectCompleted,
    SuggestionAnswered,
    SuggestionAssigned,
    SuggestionReminded,
)
from tests.integration.push_receiver import Browser, PushReceiver
from tests.integration.test_notification_service import deliveries, publish, push_env, register, started
from tests.integration.test_station_support import build_world, session_body
from tests.support import case_submitted, eventually

__all__ = ["push_env"]


async def listed(service, headers) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    items = (await service.client.get("/notifications", headers=headers)).json()["items"]
    return [(item["kind"], item["url"], item["body"]) for item in items]


async def test_a_villager_hears_of_their_booking_confirmed_promoted_and_cancelled(
    push_env, nats_server, databases, keys
):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        world = await build_world(stack, nats_server, databases, keys)
        service = await started(stack, nats_server, databases, keys)
        first, second = world.villager("a"), world.villager("b")
        phone = Browser(receiver.endpoint("a"))
        await register(service, phone, headers=first, language="en")  # b has no device: the list only

        reception = await world.created("/sessions", session_body(world, capacity=1))
        path = f"/sessions/{reception['id']}/bookings"
        booked = await world.client.post(path, json={"topic": "水费"}, headers=first)
        assert booked.json()["status"] == "confirmed"
        waiting = await world.client.post(path, json={"topic": "低保"}, headers=second)
        assert waiting.json()["status"] == "waitlisted"

        [push] = await eventually(lambda: _pushed(receiver, "a"))
        message = phone.decrypt(push.body)
        assert (message["step"], message["url"]) == ("booking_confirmed", "/book")
        assert message["body"] == "Your place at the reception on 9 Mar 09:00 is confirmed."
        assert message["tracking_code"] == "" and "水费" not in message["body"]

        answer = await world.client.post(f"/bookings/{booked.json()['id']}/cancel", headers=first)
        assert answer.status_code == 200

        async def promoted():
            return await listed(service, second) or None

        assert await eventually(promoted) == [
            ("booking_promoted", "/book", "有名额空出，您候补的3月9日 09:00代表接待已转为正式预约。")
        ]
        cancelled = await world.client.post(
            f"/sessions/{reception['id']}/cancel", json={"reason": "暴雨"}, headers=world.staff
        )
        assert cancelled.status_code == 200
        walk_in = {"topic": "低保", "visitor_name": "毛秀英", "visitor_phone": "13812345678"}
        other = await world.created(
            "/sessions", session_body(world, starts_at="2026-03-10T09:00:00+08:00", ends_at="2026-03-10T11:00:00+08:00")
        )
        await world.created(f"/sessions/{other['id']}/walk-ins", walk_in)

        async def told_of_the_cancellation():
            return len(await listed(service, second)) == 2

        await eventually(told_of_the_cancellation)
        assert (await listed(service, second))[0][0] == "booking_cancelled"
        assert len(receiver.for_device("a")) == 1  # a had cancelled: the session's cancellation is not theirs
        rows = await deliveries(service)
        assert sorted((row.recipient, row.kind, row.channel) for row in rows) == [
            ("account:villager-a", "booking_confirmed", "app"),
            ("account:villager-a", "booking_confirmed", "push"),
            ("account:villager-b", "booking_cancelled", "app"),
            ("account:villager-b", "booking_promoted", "app"),
        ]


async def _pushed(receiver: PushReceiver, device: str):  # type: ignore[no-untyped-def]
    return receiver.for_device(device)


def project(kind, case_ids: list[str], project_id: str):  # type: ignore[no-untyped-def]
    return kind(
        project_id=project_id,
        pool_id=str(uuid.uuid4()),
        kind="works",
        title="村口路灯",
        deputy_ids=["d"],
        grid_ids=[],
        village_ids=[],
        case_ids=case_ids,
        budget="12000.00",
        from_status="noticed",
        to_status="approved",
        at=datetime.now(UTC),
    )


async def test_the_followers_and_number_of_a_projects_cases_hear_it_approved_and_completed_once(
    push_env, nats_server, databases, keys
):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        cited, also_cited, not_cited = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        phone = Browser(receiver.endpoint("follower"))
        await register(service, phone, follow=["SS-2612-00071", "SS-2612-00072"])  # follows two of its cases
        await register(service, Browser(receiver.endpoint("other")), follow=["SS-2612-00073"])
        await publish(
            nats_server.url,
            case_submitted(cited, tracking_code="SS-2612-00071"),
            case_submitted(also_cited, tracking_code="SS-2612-00072"),
            case_submitted(not_cited, tracking_code="SS-2612-00073"),
        )
        given = CaseContactGiven(
            case_id=cited,
            tracking_code="SS-2612-00071",
            grid_id=str(uuid.uuid4()),
            phone="13655557777",
            at=datetime.now(UTC),
        )
        await publish(nats_server.url, given)
        project_id = str(uuid.uuid4())
        approved = project(ProjectApproved, [cited, also_cited, str(uuid.uuid4())], project_id)
        await publish(nats_server.url, approved, source="/micro-funding", same_event_twice=True)

        [push] = await eventually(lambda: _pushed(receiver, "follower"))
        message = phone.decrypt(push.body)
        assert message["step"] == "project_approved" and message["url"] == f"/project/{project_id}"
        assert "民生微实事项目已批准实施" in message["body"] and "村口路灯" not in message["body"]

        async def texted():
            sent = (await service.client.get("/dev/sms")).json()
            return sent or None

        [sms] = await eventually(texted)
        assert sms["phone"] == "13655557777" and "SS-2612-00071" in sms["text"] and len(sms["text"]) <= 70
        await publish(nats_server.url, project(ProjectCompleted, [cited], project_id), source="/micro-funding")

        async def twice():
            return len(receiver.for_device("follower")) == 2

        await eventually(twice)
        assert phone.decrypt(receiver.for_device("follower")[1].body)["step"] == "project_completed"
        assert receiver.for_device("other") == []
        codes = (await service.client.get("/notifications", params={"code": "SS-2612-00071"})).json()
        assert [item["kind"] for item in codes["items"]] == ["project_completed", "project_approved"]
        assert len(await deliveries(service, kind="project_approved")) == 2  # the device once, the number once


async def test_the_office_hears_of_an_objection_and_nobody_else_does(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        office = keys.headers(Role.npc_office, subject="office-1")
        listing_only = keys.headers(Role.npc_office, subject="office-2")
        await register(service, Browser(receiver.endpoint("office")), headers=office)
        await register(service, Browser(receiver.endpoint("villager")), headers=keys.headers(Role.villager))
        assert await listed(service, listing_only) == []  # known once it opened its list
        raised = ObjectionRaised(objection_id=str(uuid.uuid4()), project_id=str(uuid.uuid4()), at=datetime.now(UTC))
        await publish(nats_server.url, raised, source="/micro-funding", same_event_twice=True)

        await eventually(lambda: _pushed(receiver, "office"))
        assert await listed(service, listing_only) == [
            ("objection_raised", "/office/review", "一个民生微实事项目在公示期收到异议，请审查处理。")
        ]
        assert len(receiver.for_device("office")) == 1 and receiver.for_device("villager") == []


def suggestion(kind, **fields):  # type: ignore[no-untyped-def]
    values = {
        "suggestion_id": "s-1",
        "title": "关于改善村道照明的建议",
        "kind": "suggestion",
        "state": "assigned",
        "deputy_ids": ["lead", "cosigner"],
        "lead_organisation": "SSX-ROADS",
        "co_organisations": ["SSX-WATER"],
        "due_at": datetime(2027, 3, 1, 0, 0, tzinfo=CHINA).astimezone(UTC),
        "round": 1,
        "at": datetime.now(UTC),
    }
    return kind(**{**values, **fields})


async def test_a_suggestions_lead_organisation_hears_it_assigned_and_due_and_its_deputies_hear_the_answer(
    push_env, nats_server, databases, keys
):
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys)
        roads = keys.headers(Role.agency_officer, subject="o-roads", organisation="SSX-ROADS")
        water = keys.headers(Role.agency_officer, subject="o-water", organisation="SSX-WATER")
        lead = keys.headers(Role.deputy, subject="a-lead", deputy_id="lead")
        cosigner = keys.headers(Role.deputy, subject="a-cosigner", deputy_id="cosigner")
        stranger = keys.headers(Role.deputy, subject="a-other", deputy_id="other")
        for headers in (roads, water, lead, cosigner, stranger):
            assert await listed(service, headers) == []
        english = await service.client.put("/preferences", json={"language": "en"}, headers=cosigner)
        assert english.status_code == 200, english.text
        await publish(
            nats_server.url,
            suggestion(SuggestionAssigned, broad=False),
            suggestion(SuggestionReminded, stage="reminder"),
            suggestion(SuggestionReminded, stage="escalation"),  # the office's 督办, not the officers'
            source="/deputy",
            same_event_twice=True,
        )
        await publish(
            nats_server.url,
            suggestion(SuggestionAnswered, state="answered", answer_class="solved"),
            source="/deputy",
        )

        async def answered():
            return await listed(service, lead) or None

        assert await eventually(answered) == [
            ("suggestion_answered", "/deputy/suggestions", "您领衔或附议的代表建议已获答复，请查看并评价。")
        ]
        assert [kind for kind, _, _ in await listed(service, cosigner)] == ["suggestion_answered"]
        assert (await listed(service, cosigner))[0][2].startswith("A suggestion you made or signed was answered")
        officers = await listed(service, roads)
        assert sorted(officers) == [
            ("suggestion_assigned", "/office/suggestions", "一件代表建议已交办贵单位主办，请于2月28日前答复。"),
            ("suggestion_due", "/office/suggestions", "贵单位主办的代表建议将于2月28日到期，请及时答复。"),
        ]
        assert await listed(service, water) == [] and await listed(service, stranger) == []
        rows: list[Delivery] = await deliveries(service)
        assert len(rows) == 4  # accounts without a device: the list only; each event once (it came twice)
