"""Reception sessions: notice, opening hours, a deputy in two places, unlinked deputies, cancellation, access."""

import json
from datetime import timedelta

from sqlalchemy import select

from services.station_scheduling.models import tables
from shared.auth import Role
from tests.integration.test_station_support import deputy_id, session_body, world_fixture  # noqa: F401

PROBLEM = "application/problem+json"


async def test_a_session_is_announced_with_its_deputies_and_agency_staff(world):
    body = session_body(world, agency_staff=[{"organisation": "韶山市水利局", "role": "副局长"}])
    session = await world.created("/sessions", body)
    assert session["status"] == "scheduled" and session["mode"] == "station"
    assert session["starts_at"].startswith("2026-03-09T01:00:00")
    assert {duty["name"]: duty["linked"] for duty in session["deputies"]} == {"代表1": True, "代表2": True}
    assert session["agency_staff"][0]["organisation"] == "韶山市水利局"
    assert session["warnings"] == [] and session["confirmed"] == 0
    listed = await world.client.get("/sessions", params={"station_id": world.station_id, "date_from": "2026-03-09"})
    assert [item["id"] for item in listed.json()["items"]] == [session["id"]]
    assert (await world.client.get("/sessions", params={"date_to": "2026-03-08"})).json()["total"] == 0


async def test_sessions_are_announced_three_days_ahead_unless_a_reason_is_given(world):
    early = session_body(world, starts_at="2026-03-04T09:00:00+08:00", ends_at="2026-03-04T10:00:00+08:00")
    answer = await world.client.post("/sessions", json=early, headers=world.staff)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert "至少提前 3 天公布" in answer.json()["detail"]  # Chinese unless English is asked for
    session = await world.created("/sessions", {**early, "short_notice_reason": "汛期紧急接待"})
    assert session["warnings"] == ["short notice: 汛期紧急接待"]
    past = session_body(world, starts_at="2026-03-01T09:00:00+08:00", ends_at="2026-03-01T10:00:00+08:00")
    answer = await world.client.post("/sessions", json={**past, "short_notice_reason": "补录"}, headers=world.staff)
    assert answer.status_code == 422


async def test_a_session_at_the_station_outside_opening_hours_is_refused(world):
    saturday = session_body(world, starts_at="2026-03-14T09:00:00+08:00", ends_at="2026-03-14T10:00:00+08:00")
    evening = session_body(world, starts_at="2026-03-09T17:00:00+08:00", ends_at="2026-03-09T18:30:00+08:00")
    for body in (saturday, evening):
        answer = await world.client.post("/sessions", json=body, headers=world.staff)
        assert answer.status_code == 422, answer.text
        assert "不在开放时间内" in answer.json()["detail"]
    outside = await world.created("/sessions", {**saturday, "mode": "outside", "place": "黄田村文化广场"})
    assert outside["place"] == "黄田村文化广场"
    online = {**evening, "mode": "online"}
    assert (await world.client.post("/sessions", json=online, headers=world.staff)).status_code == 422
    await world.created("/sessions", {**online, "meeting_url": "https://meeting.example/room/9"})


async def test_a_deputy_cannot_be_on_duty_in_two_places_at_once(world):
    first = await world.created("/sessions", session_body(world))
    overlapping = session_body(
        world,
        mode="outside",
        place="韶阳村村部",
        starts_at="2026-03-09T10:30:00+08:00",
        ends_at="2026-03-09T12:00:00+08:00",
        deputy_ids=[deputy_id("D3"), deputy_id("D2")],
    )
    answer = await world.client.post("/sessions", json=overlapping, headers=world.staff)
    assert answer.status_code == 409 and "D2" in answer.json()["detail"]
    afterwards = {**overlapping, "starts_at": "2026-03-09T11:00:00+08:00"}
    await world.created("/sessions", afterwards)
    cancelled = await world.client.post(
        f"/sessions/{first['id']}/cancel", json={"reason": "代表临时外出"}, headers=world.staff
    )
    assert cancelled.status_code == 200
    await world.created("/sessions", {**overlapping, "ends_at": "2026-03-09T10:59:00+08:00"})


async def test_a_deputy_not_linked_to_the_stations_grids_is_flagged(world):
    session = await world.created("/sessions", session_body(world, deputy_ids=[deputy_id("D1"), deputy_id("D5")]))
    linked = {duty["deputy_id"]: duty["linked"] for duty in session["deputies"]}
    assert linked == {deputy_id("D1"): True, deputy_id("D5"): False}
    assert session["warnings"] == [f"deputy {deputy_id('D5')} is not linked to the grids this station serves"]
    unknown = session_body(world, deputy_ids=["00000000-0000-4000-8000-000000000000"])
    assert (await world.client.post("/sessions", json=unknown, headers=world.staff)).status_code == 422


async def test_cancelling_notifies_everyone_booked(world):
    session = await world.created("/sessions", session_body(world, capacity=1))
    first = await world.created(f"/sessions/{session['id']}/bookings", {"topic": "水费"}, world.villager("a"))
    second = await world.created(f"/sessions/{session['id']}/bookings", {"topic": "修路"}, world.villager("b"))
    assert (first["status"], second["status"]) == ("confirmed", "waitlisted")
    answer = await world.client.post(f"/sessions/{session['id']}/cancel", json={"reason": "暴雨"}, headers=world.staff)
    assert answer.json()["status"] == "cancelled" and answer.json()["cancel_reason"] == "暴雨"
    for who, booking in (("a", first), ("b", second)):
        mine = (await world.client.get(f"/bookings/{booking['id']}", headers=world.villager(who))).json()
        assert mine["status"] == "session_cancelled"
        assert mine["notice"] == "The session of 2026-03-09 09:00 was cancelled: 暴雨"
    async with world.service.runtime.maker() as db:
        outbox = tables.outbox
        query = select(outbox.c.body).where(outbox.c.event_type == "station.session.cancelled.v1")
        event = json.loads((await db.execute(query)).scalar_one())["data"]
    assert sorted(event["booking_ids"]) == sorted([first["id"], second["id"]])
    again = await world.client.post(f"/sessions/{session['id']}/cancel", json={"reason": "x"}, headers=world.staff)
    assert again.status_code == 409
    late = await world.client.post(
        f"/sessions/{session['id']}/bookings", json={"topic": "x"}, headers=world.villager("c")
    )
    assert late.status_code == 409


async def test_only_station_staff_and_the_office_manage_sessions(world):
    body = session_body(world)
    assert (await world.client.post("/sessions", json=body)).status_code == 401
    answer = await world.client.post("/sessions", json=body, headers=world.villager("a"))
    assert answer.status_code == 403 and answer.headers["content-type"] == PROBLEM
    assert (await world.client.post("/sessions", json=body, headers=world.deputy("D1"))).status_code == 403
    await world.created("/sessions", body, world.keys.headers(Role.npc_office))


async def test_creating_a_session_twice_with_one_key_makes_one_session(world):
    headers = {**world.staff, "Idempotency-Key": "session-create-0001"}
    first = await world.client.post("/sessions", json=session_body(world), headers=headers)
    again = await world.client.post("/sessions", json=session_body(world), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert (await world.client.get("/sessions")).json()["total"] == 1


async def test_agency_officers_join_for_their_own_organisation(world):
    session = await world.created("/sessions", session_body(world))
    officer = world.keys.headers(Role.agency_officer, organisation="韶山市人民法院")
    path = f"/sessions/{session['id']}/agency-staff"
    joined = await world.created(path, {"organisation": "韶山市人民法院", "role": "法官"}, officer)
    assert [(s["organisation"], s["role"]) for s in joined["agency_staff"]] == [("韶山市人民法院", "法官")]
    other = await world.client.post(path, json={"organisation": "韶山市检察院", "role": "检察官"}, headers=officer)
    assert other.status_code == 403


async def test_a_session_is_marked_held_once_it_has_started_and_deputies_see_their_duty(world):
    session = await world.created("/sessions", session_body(world))
    path = f"/sessions/{session['id']}/held"
    assert (await world.client.post(path, headers=world.staff)).status_code == 409
    world.clock.advance(timedelta(days=7, hours=1, minutes=30))
    held = await world.client.post(path, headers=world.staff)
    assert held.status_code == 200 and held.json()["status"] == "held"
    duty = await world.client.get("/duty/mine", headers=world.deputy("D1"))
    assert [item["id"] for item in duty.json()["items"]] == [session["id"]]
    assert (await world.client.get("/duty/mine", headers=world.deputy("D3"))).json()["total"] == 0
    assert (await world.client.get("/duty/mine", headers=world.villager("a"))).status_code == 403
