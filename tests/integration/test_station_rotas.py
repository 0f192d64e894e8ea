"""Rotas: recurrence rules make sessions across months, rotating the deputies of the station's grids."""

import time

from tests.integration.test_station_support import deputy_id, session_body, world_fixture  # noqa: F401


def rota_body(world, **changes: object) -> dict:  # type: ignore[no-untyped-def]
    return {
        "station_id": world.station_id,
        "rule": "FREQ=MONTHLY;BYMONTHDAY=9,19",
        "starts_on": "2026-03-01",
        "ends_on": "2026-06-30",
        "start_time": "09:00",
        "duration_minutes": 120,
        "capacity": 20,
        "topic": "代表接待日",
        "deputies_per_session": 2,
        **changes,
    }


async def _sessions(world, rota: dict) -> list[dict]:  # type: ignore[no-untyped-def]
    sessions = []
    for session_id in rota["session_ids"]:
        sessions.append((await world.client.get(f"/sessions/{session_id}")).json())
    return sessions


def _codes(session: dict) -> list[str]:
    by_id = {deputy_id(code): code for code in ("D1", "D2", "D3", "D4", "D5")}
    return sorted(by_id[duty["deputy_id"]] for duty in session["deputies"])


async def test_the_9th_and_19th_of_each_month_rotate_the_stations_deputies(world):
    rota = await world.created("/rotas", rota_body(world))
    sessions = await _sessions(world, rota)
    assert [s["starts_at"] for s in sessions] == [
        "2026-03-09T01:00:00Z",
        "2026-03-19T01:00:00Z",
        "2026-04-09T01:00:00Z",
        "2026-05-19T01:00:00Z",
        "2026-06-09T01:00:00Z",
        "2026-06-19T01:00:00Z",
    ]
    assert [_codes(s) for s in sessions] == [["D1", "D2"], ["D3", "D4"]] * 3  # D5 serves another township
    skipped = {item["day"]: item["reason"] for item in rota["skipped"]}
    assert sorted(skipped) == ["2026-04-19", "2026-05-09"]  # a Sunday and a Saturday: the station is closed
    assert all("opening hours" in reason for reason in skipped.values())
    assert rota["pool"] == [deputy_id(code) for code in ("D1", "D2", "D3", "D4")]
    assert all(s["rota_id"] == rota["id"] and s["warnings"] == [] for s in sessions)
    again = (await world.client.get(f"/rotas/{rota['id']}")).json()
    assert again["session_ids"] == rota["session_ids"]
    listed = await world.client.get("/rotas", params={"station_id": world.station_id})
    assert listed.json()["total"] == 1


async def test_every_monday_across_a_month_end_passes_a_busy_deputys_turn_on(world):
    busy = session_body(
        world,
        mode="outside",
        place="县人大常委会",
        starts_at="2026-03-16T08:00:00+08:00",
        ends_at="2026-03-16T12:00:00+08:00",
        deputy_ids=[deputy_id("D1")],
    )
    await world.created("/sessions", busy)
    body = rota_body(
        world,
        rule="FREQ=WEEKLY;BYDAY=MO",
        starts_on="2026-03-02",
        ends_on="2026-04-06",
        deputies_per_session=1,
        deputy_ids=[deputy_id("D1"), deputy_id("D2")],
    )
    rota = await world.created("/rotas", body)
    sessions = await _sessions(world, rota)
    days = [s["starts_at"][:10] for s in sessions]
    assert days == ["2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30", "2026-04-06"]
    assert [_codes(s) for s in sessions] == [["D1"], ["D2"], ["D1"], ["D2"], ["D1"]]
    assert [item["day"] for item in rota["skipped"]] == ["2026-03-02"]  # today: less than 3 days' notice
    assert "3 days" in rota["skipped"][0]["reason"]


async def test_rules_that_cannot_make_a_rota_are_refused_quickly(world):
    bad = [
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=HOURLY",
        "FREQ=MONTHLY;BYMONTHDAY=9;COUNT=3",
        "FREQ=WEEKLY;BYHOUR=1,2,3",
        "FREQ=MONTHLY;BYMONTHDAY=40",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "BYDAY=MO",
        "FREQ=DAILY",  # 122 days: more than a rota's 100 sessions
    ]
    for rule in bad:
        started = time.monotonic()
        answer = await world.client.post("/rotas", json=rota_body(world, rule=rule), headers=world.staff)
        assert answer.status_code == 422, (rule, answer.text)
        assert time.monotonic() - started < 3, rule
    assert (await world.client.get("/sessions")).json()["total"] == 0


async def test_a_rota_needs_enough_deputies_and_a_manager(world):
    few = rota_body(world, deputies_per_session=3, deputy_ids=[deputy_id("D1"), deputy_id("D2")])
    assert (await world.client.post("/rotas", json=few, headers=world.staff)).status_code == 422
    assert (await world.client.post("/rotas", json=rota_body(world), headers=world.villager("a"))).status_code == 403
