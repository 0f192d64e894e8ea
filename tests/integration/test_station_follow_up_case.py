"""A station follow-up case, through the real station and case services on one NATS: the deputies handling it
read what was raised, discussed and answered (the public, only the masked summary); the villager who booked the
reception finds the case among their own; the words travel on the private RECEPTION stream, which keeps nothing
once case intake has it."""

from contextlib import AsyncExitStack
from datetime import timedelta

from sqlalchemy import select

from services.case_intake.models import RoutingEntry
from shared.auth import Role
from tests.integration.test_station_records import FOLLOW_UP
from tests.integration.test_station_support import build_world, deputy_id, grid_id, session_body
from tests.support import eventually, start_service


async def test_the_handler_reads_the_reception_and_the_booked_villager_lists_the_case(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        world = await build_world(stack, nats_server, databases, keys)
        intake = await start_service(
            stack, "case_intake", databases.settings("case_intake", nats_server.url, keys.public)
        )

        async def routed() -> bool:
            async with intake.runtime.maker() as session:
                query = select(RoutingEntry.deputy_id).where(RoutingEntry.grid_id == grid_id("T1V1G1"))
                return (await session.execute(query)).first() is not None

        await eventually(routed)
        reception = await world.created("/sessions", session_body(world))
        villager = world.villager("a")
        booking = await world.created(f"/sessions/{reception['id']}/bookings", {"topic": "河道"}, villager)
        world.clock.advance(timedelta(days=7, hours=1, minutes=10))
        body = {
            **FOLLOW_UP,
            "answer": "先报水利局，两周内答复。",
            "booking_id": booking["id"],
            "grid_id": grid_id("T1V1G1"),
        }
        record = await world.created(f"/sessions/{reception['id']}/records", body)
        owner = keys.headers(Role.villager, subject="villager-a")

        async def listed() -> list[dict] | None:
            answer = await intake.client.get("/cases", headers=owner)
            assert answer.status_code == 200, answer.text
            items = [item for item in answer.json()["items"] if item["id"] == record["case_id"]]
            return items or None

        (case,) = await eventually(listed, timeout=20)
        assert case["channel"] == "station" and "13812345678" not in case["description"]
        handler = keys.headers(Role.deputy, subject="deputy-D1", deputy_id=deputy_id("D1"))
        seen = (await intake.client.get(f"/cases/{case['id']}", headers=handler)).json()
        assert seen["reception"]["record_id"] == record["id"]
        assert "韶河淤塞，雨季漫田" in seen["reception"]["raised"]
        assert "13812345678" not in seen["reception"]["raised"]  # a number goes through the contact, not the text
        assert seen["reception"]["discussed"] == FOLLOW_UP["discussed"]
        assert seen["reception"]["answer"] == body["answer"]

        filer_view = (await intake.client.get(f"/cases/{case['id']}", headers=owner)).json()
        assert filer_view["reception"] is None
        (mine,) = (await intake.client.get("/me/data", headers=owner)).json()["cases"]  # kept under their account
        assert mine["reception"]["answer"] == body["answer"]
        tracked = (await intake.client.get(f"/cases/track/{case['tracking_code']}")).json()
        assert tracked["reception"] is None and "代表与水利局" not in str(tracked)
        other = keys.headers(Role.villager, subject="villager-b")
        assert record["case_id"] not in [
            item["id"] for item in (await intake.client.get("/cases", headers=other)).json()["items"]
        ]

        async def nothing_kept_on_the_bus() -> bool:
            return (await world.nc.jetstream().stream_info("RECEPTION")).state.messages == 0

        await eventually(nothing_kept_on_the_bus)
