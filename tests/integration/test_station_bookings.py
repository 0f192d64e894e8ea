"""Bookings: capacity under concurrency, the waitlist in order, cancellation and promotion, walk-ins, privacy."""

import asyncio

from shared.auth import Role
from tests.integration.test_station_support import session_body, world_fixture  # noqa: F401


async def _book(world, session_id: str, who: str, **body: object):  # type: ignore[no-untyped-def]
    return await world.client.post(
        f"/sessions/{session_id}/bookings", json={"topic": f"{who}的问题", **body}, headers=world.villager(who)
    )


async def test_fifty_concurrent_bookings_for_ten_places_confirm_exactly_ten(world):
    session = await world.created("/sessions", session_body(world, capacity=10))
    answers = await asyncio.wait_for(
        asyncio.gather(*[_book(world, session["id"], f"v{index:02d}") for index in range(50)]), timeout=60
    )
    assert [answer.status_code for answer in answers] == [201] * 50, {a.status_code: a.text for a in answers}
    bookings = [answer.json() for answer in answers]
    confirmed = [booking for booking in bookings if booking["status"] == "confirmed"]
    waitlisted = [booking for booking in bookings if booking["status"] == "waitlisted"]
    assert len(confirmed) == 10 and len(waitlisted) == 40
    assert sorted(booking["place"] for booking in waitlisted) == list(range(1, 41))
    staff_view = await world.client.get(
        f"/sessions/{session['id']}/bookings", params={"limit": 200}, headers=world.staff
    )
    in_queue_order = [item for item in staff_view.json()["items"]]
    assert [item["status"] for item in in_queue_order] == ["confirmed"] * 10 + ["waitlisted"] * 40
    assert [item["place"] for item in in_queue_order[10:]] == list(range(1, 41))
    public = (await world.client.get(f"/sessions/{session['id']}")).json()
    assert (public["confirmed"], public["waitlisted"]) == (10, 40)


async def test_a_cancelled_place_goes_to_the_first_on_the_waitlist(world):
    session = await world.created("/sessions", session_body(world, capacity=2))
    booked = {}
    for who in ("a", "b", "c", "d"):
        answer = await _book(world, session["id"], who)
        booked[who] = answer.json()
    assert [booked[who]["status"] for who in "abcd"] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert (booked["c"]["place"], booked["d"]["place"]) == (1, 2)
    cancel = await world.client.post(f"/bookings/{booked['a']['id']}/cancel", headers=world.villager("a"))
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    c = (await world.client.get(f"/bookings/{booked['c']['id']}", headers=world.villager("c"))).json()
    d = (await world.client.get(f"/bookings/{booked['d']['id']}", headers=world.villager("d"))).json()
    assert (c["status"], c["place"], c["notice"]) == (
        "confirmed",
        None,
        "A place became free: your booking is confirmed.",
    )
    assert (d["status"], d["place"]) == ("waitlisted", 1)
    again = await world.client.post(f"/bookings/{booked['a']['id']}/cancel", headers=world.villager("a"))
    assert again.status_code == 409
    await world.client.post(f"/bookings/{booked['d']['id']}/cancel", headers=world.staff)
    public = (await world.client.get(f"/sessions/{session['id']}")).json()
    assert (public["confirmed"], public["waitlisted"]) == (2, 0)


async def test_a_villager_sees_and_cancels_only_their_own_bookings(world):
    session = await world.created("/sessions", session_body(world))
    mine = (await _book(world, session["id"], "a")).json()
    assert mine["place"] is None and mine["status"] == "confirmed"
    listed = await world.client.get("/bookings/mine", headers=world.villager("a"))
    assert [item["id"] for item in listed.json()["items"]] == [mine["id"]]
    assert (await world.client.get("/bookings/mine", headers=world.villager("b"))).json()["total"] == 0
    assert (await world.client.get(f"/bookings/{mine['id']}", headers=world.villager("b"))).status_code == 403
    assert (await world.client.post(f"/bookings/{mine['id']}/cancel", headers=world.villager("b"))).status_code == 403
    assert (await world.client.get(f"/bookings/{mine['id']}")).status_code == 401
    twice = await _book(world, session["id"], "a")
    assert twice.status_code == 409
    staff_list = await world.client.get(f"/sessions/{session['id']}/bookings", headers=world.villager("a"))
    assert staff_list.status_code == 403


async def test_an_offline_retry_with_the_same_key_books_once(world):
    session = await world.created("/sessions", session_body(world))
    headers = {**world.villager("a"), "Idempotency-Key": "offline-booking-0001"}
    path = f"/sessions/{session['id']}/bookings"
    first = await world.client.post(path, json={"topic": "水费"}, headers=headers)
    again = await world.client.post(path, json={"topic": "水费"}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert (await world.client.get(f"/sessions/{session['id']}")).json()["confirmed"] == 1


async def test_a_full_session_refuses_when_the_villager_wants_no_waitlist(world):
    session = await world.created("/sessions", session_body(world, capacity=1))
    await _book(world, session["id"], "a")
    answer = await _book(world, session["id"], "b", waitlist=False)
    assert answer.status_code == 409 and answer.json()["detail"] == "这场接待已经约满了。"


async def test_walk_ins_take_places_and_their_names_stay_private(world):
    session = await world.created("/sessions", session_body(world, capacity=2))
    await _book(world, session["id"], "a")
    path = f"/sessions/{session['id']}/walk-ins"
    walk_in = await world.created(path, {"topic": "低保", "visitor_name": "毛秀英", "visitor_phone": "13812345678"})
    assert walk_in["status"] == "attended" and walk_in["kind"] == "walk_in"
    assert (walk_in["visitor_name_masked"], walk_in["visitor_phone_masked"]) == ("毛**", "138****5678")
    full = await world.client.post(path, json={"topic": "低保"}, headers=world.staff)
    assert full.status_code == 409
    assert (await world.client.post(path, json={"topic": "x"}, headers=world.villager("a"))).status_code == 403
    public = await world.client.get(f"/sessions/{session['id']}")
    assert "毛秀英" not in public.text and "13812345678" not in public.text
    staff_view = await world.client.get(
        f"/sessions/{session['id']}/bookings", headers=world.keys.headers(Role.npc_office)
    )
    assert "13812345678" not in staff_view.text and staff_view.json()["total"] == 2
