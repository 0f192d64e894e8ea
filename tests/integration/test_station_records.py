"""Reception records: answered on the spot, or followed up through station.issue.raised.v1 and a linked case."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.station_scheduling.models import tables
from shared.messaging.catalogue import CaseResolved, CaseSubmittedV2
from shared.messaging.envelope import CloudEvent
from tests.integration.test_station_support import deputy_id, grid_id, publish, session_body, world_fixture  # noqa: F401
from tests.support import eventually

FOLLOW_UP = {
    "kind": "request",
    "category": "rivers",
    "raised": "村民毛秀英（电话13812345678）反映：韶河淤塞，雨季漫田。",
    "discussed": "代表与水利局现场商议，需要清淤工程。",
    "outcome": "follow_up",
    "route": "city_organs",
    "summary": "韶河淤塞，雨季漫田，请求清淤（联系电话 138 1234 5678）",
}
ANSWERED = {
    "kind": "opinion",
    "category": "water",
    "raised": "水费为什么涨了？",
    "discussed": "查看了村务公开栏的账目。",
    "answer": "水价按县物价局文件调整，账目已公开。",
    "outcome": "answered",
    "summary": "水费调整的原因",
}


async def _started_session(world, capacity: int = 10) -> dict:  # type: ignore[no-untyped-def]
    session = await world.created("/sessions", session_body(world, capacity=capacity))
    world.clock.advance(timedelta(days=7, hours=1, minutes=10))  # Monday 9 March, 09:10 in Asia/Shanghai
    return session


async def test_a_follow_up_is_published_through_the_broker_and_shows_the_cases_progress(world):
    received: asyncio.Queue = asyncio.Queue()
    subscription = await world.nc.subscribe("station.issue.raised.v1", cb=received.put)
    session = await world.created("/sessions", session_body(world))
    booking = await world.created(f"/sessions/{session['id']}/bookings", {"topic": "河道"}, world.villager("a"))
    world.clock.advance(timedelta(days=7, hours=1, minutes=10))  # Monday 9 March, 09:10 in Asia/Shanghai
    body = {**FOLLOW_UP, "booking_id": booking["id"], "grid_id": grid_id("T1V1G1")}
    record = await world.created(f"/sessions/{session['id']}/records", body)
    assert record["case_status"] == "pending" and record["case_id"]
    assert record["summary"] == "韶河淤塞，雨季漫田，请求清淤（联系电话 *************）"

    message = await asyncio.wait_for(received.get(), timeout=10)
    await subscription.unsubscribe()
    event = CloudEvent.model_validate_json(message.data)
    assert event.type == "station.issue.raised.v1" and event.source == "/station-scheduling"
    assert message.headers["Nats-Msg-Id"] == event.id
    assert event.data["case_id"] == record["case_id"] and event.data["record_id"] == record["id"]
    assert event.data["grid_id"] == grid_id("T1V1G1") and event.data["station_id"] == world.station_id
    assert (event.data["kind"], event.data["category"], event.data["route"]) == ("request", "rivers", "city_organs")
    assert sorted(event.data["deputy_ids"]) == sorted([deputy_id("D1"), deputy_id("D2")])
    assert "13812345678" not in message.data.decode() and "毛秀英" not in message.data.decode()
    assert "1234" not in event.data["summary"]

    await _open_and_resolve_case(world, event.data)
    record_path = f"/records/{record['id']}"

    async def resolved():
        answer = (await world.client.get(record_path, headers=world.staff)).json()
        return answer if answer["case_status"] == "resolved" else None

    shown = await eventually(resolved)
    assert shown["case_tracking_code"] == "SS-20260309-0001"
    visit = (await world.client.get(f"/bookings/{booking['id']}", headers=world.villager("a"))).json()
    assert visit["status"] == "attended"
    assert [(f["record_id"], f["case_tracking_code"], f["case_status"]) for f in visit["follow_ups"]] == [
        (record["id"], "SS-20260309-0001", "resolved")
    ]


async def _open_and_resolve_case(world, issue: dict) -> None:  # type: ignore[no-untyped-def]
    """What case intake does with the issue: a case under the given id (channel station), later resolved."""
    at = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    common = {"case_id": issue["case_id"], "tracking_code": "SS-20260309-0001", "grid_id": issue["grid_id"]}
    submitted = CaseSubmittedV2(
        **common,
        kind=issue["kind"],
        category=issue["category"],
        channel="station",
        public=False,
        submitted_at=at,
        accept_due_at=at + timedelta(days=1),
        assigned_deputy_ids=[deputy_id("D1")],
    )
    resolved = CaseResolved(
        **common,
        kind=issue["kind"],
        category=issue["category"],
        from_status="in_progress",
        to_status="resolved",
        deputy_ids=[deputy_id("D1")],
        at=at + timedelta(days=3),
    )
    await publish(world.nc, submitted, "/case-intake")
    await publish(world.nc, resolved, "/case-intake")


async def test_an_issue_answered_on_the_spot_raises_nothing_and_statistics_add_up(world):
    session = await _started_session(world)
    path = f"/sessions/{session['id']}/records"
    answered = await world.created(path, {**ANSWERED, "grid_id": grid_id("T1V1G2")})
    assert answered["case_id"] is None and answered["outcome"] == "answered"
    follow = await world.created(path, {**FOLLOW_UP, "grid_id": grid_id("T1V1G1")})
    await world.client.post(f"/sessions/{session['id']}/held", headers=world.staff)
    await _open_and_resolve_case(world, {**FOLLOW_UP, "case_id": follow["case_id"], "grid_id": grid_id("T1V1G1")})

    async def stats():
        answer = await world.client.get(
            f"/stations/{world.station_id}/statistics", params={"date_from": "2026-03-01", "date_to": "2026-03-31"}
        )
        body = answer.json()
        return body if body["follow_ups_resolved"] == 1 else None

    figures = await eventually(stats)
    assert {key: figures[key] for key in ("sessions_held", "visitors", "issues_raised")} == {
        "sessions_held": 1,
        "visitors": 2,
        "issues_raised": 2,
    }
    assert (figures["answered_on_the_spot"], figures["followed_up"], figures["resolved"]) == (1, 1, 2)
    april = await world.client.get("/statistics", params={"date_from": "2026-04-01", "date_to": "2026-04-30"})
    assert april.json()["items"][0]["issues_raised"] == 0
    async with world.service.runtime.maker() as db:
        query = select(tables.outbox.c.body).where(tables.outbox.c.event_type == "station.issue.raised.v1")
        raised = [json.loads(body)["data"]["record_id"] for body in (await db.execute(query)).scalars()]
    assert raised == [follow["id"]]


async def test_records_need_a_started_session_and_a_village_group(world):
    session = await world.created("/sessions", session_body(world))
    path = f"/sessions/{session['id']}/records"
    early = await world.client.post(path, json={**ANSWERED, "grid_id": grid_id("T1V1G1")}, headers=world.staff)
    assert early.status_code == 409
    world.clock.advance(timedelta(days=7, hours=2))
    village = await world.client.post(path, json={**ANSWERED, "grid_id": grid_id("T1V1")}, headers=world.staff)
    assert village.status_code == 422
    no_route = await world.client.post(
        path, json={**FOLLOW_UP, "route": None, "grid_id": grid_id("T1V1G1")}, headers=world.staff
    )
    assert no_route.status_code == 422
    villager = await world.client.post(
        path, json={**ANSWERED, "grid_id": grid_id("T1V1G1")}, headers=world.villager("a")
    )
    assert villager.status_code == 403


async def test_deputies_on_duty_read_the_records_of_their_sessions_only(world):
    session = await _started_session(world)
    record = await world.created(f"/sessions/{session['id']}/records", {**ANSWERED, "grid_id": grid_id("T1V1G1")})
    on_duty, off_duty = world.deputy("D1"), world.deputy("D3")
    assert (await world.client.get(f"/records/{record['id']}", headers=on_duty)).status_code == 200
    assert (await world.client.get(f"/records/{record['id']}", headers=off_duty)).status_code == 403
    assert (await world.client.get("/records", headers=on_duty)).json()["total"] == 1
    assert (await world.client.get("/records", headers=off_duty)).json()["total"] == 0
    assert (await world.client.get("/records", headers=world.villager("a"))).status_code == 403
