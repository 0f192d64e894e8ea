"""The foundation slice: a villager's case reaches the responsible deputy's inbox through NATS."""

from contextlib import AsyncExitStack

from nats.js.api import ConsumerConfig
from sqlalchemy import select

from services.deputy.events import SUBSCRIPTIONS
from services.deputy.models import InboxCase
from shared.messaging.bus import Bus
from shared.messaging.catalogue import CaseAssigned, CaseAssignedV2, CaseSubmitted, CaseSubmittedV2, envelope
from tests.integration.city import build_city, case_body, inbox_case_ids
from tests.support import case_submitted, eventually, start_service

DEPUTY_ID = "5a1b2c3d-0000-4000-8000-0000000000a1"


async def test_a_submitted_case_shows_in_the_deputy_inbox(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        answer = await city.case_intake.client.post("/cases", json=case_body(city))
        assert answer.status_code == 201, answer.text
        case = answer.json()
        assert case["status"] == "assigned"
        assert case["assigned_deputy_ids"] == [city.deputy_id]
        assert case["tracking_code"].startswith("SS-")

        async def arrived():
            return case["id"] in await inbox_case_ids(city)

        await eventually(arrived)


async def test_a_case_filed_while_nats_is_down_arrives_once_when_it_returns(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        nats_server.stop()
        answer = await city.case_intake.client.post("/cases", json=case_body(city))
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["id"]
        assert case_id not in await inbox_case_ids(city)
        nats_server.start()

        async def arrived():
            return case_id in await inbox_case_ids(city)

        await eventually(arrived, timeout=30)
        assert (await inbox_case_ids(city)).count(case_id) == 1


async def test_the_anonymous_filer_follows_the_case_by_its_tracking_code(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        case = (await city.case_intake.client.post("/cases", json=case_body(city))).json()
        answer = await city.case_intake.client.get(f"/cases/track/{case['tracking_code']}")
        assert answer.status_code == 200
        assert [step["to_status"] for step in answer.json()["timeline"]] == ["submitted", "assigned"]


async def test_a_case_filed_in_a_grid_without_deputies_is_routed_when_one_is_assigned(nats_server, databases, keys):
    from shared.auth import Role

    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        office = keys.headers(Role.npc_office)
        group = await city.grid.client.post(
            "/grids",
            headers=office,
            json={
                "code": "T01V01G02",
                "name": "韶阳村第2组",
                "level": "group",
                "parent_id": (await city.grid.client.get(f"/grids/{city.group_id}")).json()["parent_id"],
            },
        )
        group_id = group.json()["id"]

        async def known():
            answer = await city.case_intake.client.post("/cases", json=case_body(city, grid_id=group_id))
            return answer.json() if answer.status_code == 201 else None

        case = await eventually(known)
        assert case["status"] == "submitted" and case["assigned_deputy_ids"] == []
        await city.grid.client.post(
            "/assignments",
            headers=office,
            json={"grid_id": group_id, "deputy_id": city.deputy_id, "starts_on": "2026-02-01"},
        )

        async def arrived():
            return case["id"] in await inbox_case_ids(city)

        await eventually(arrived)
        timeline = (await city.case_intake.client.get(f"/cases/track/{case['tracking_code']}")).json()["timeline"]
        assert [step["to_status"] for step in timeline] == ["submitted", "assigned"]


async def test_a_deputy_service_upgraded_from_v1_reads_its_backlog_as_v2_once(nats_server, databases, keys):
    """The operator's upgrade: the deputy service's durable consumer still has the v1 subjects and a filing it has
    not read (its v1 and v2, as case intake published both); the new service moves the consumer to v2, and the
    case lands in the inbox once, showing its category and none of the villager's words."""
    old = {CaseSubmittedV2.event_type: CaseSubmitted.event_type, CaseAssignedV2.event_type: CaseAssigned.event_type}
    bus = Bus(nats_server.url)
    await bus.connect()
    try:
        assert bus.js is not None
        subjects = sorted(old.get(event_type, event_type) for event_type in SUBSCRIPTIONS["CASE"])
        await bus.js.add_consumer("CASE", ConsumerConfig(durable_name="deputy", filter_subjects=subjects))
        filing = case_submitted(
            "0c9d6f7e-7777-4222-8333-944455556666", deputy_ids=["5a1b2c3d-0000-4000-8000-0000000000a1"]
        )
        words = "张三家门口的水管漏了"
        v1 = CaseSubmitted(**filing.model_dump(exclude={"public"}), summary=words)
        for payload in (v1, filing):
            event = envelope("/case-intake", payload, filing.case_id)
            await bus.publish(event.type, event.model_dump_json().encode(), {})
    finally:
        await bus.close()

    async with AsyncExitStack() as stack:
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))

        async def rows():
            async with deputy.runtime.maker() as session:
                query = select(InboxCase.summary).where(InboxCase.case_id == filing.case_id)
                return (await session.execute(query)).scalars().all() or None

        assert await eventually(rows) == [filing.category]
        info = await deputy.runtime.bus.js.consumer_info("CASE", "deputy")
        assert set(info.config.filter_subjects) == set(SUBSCRIPTIONS["CASE"])
