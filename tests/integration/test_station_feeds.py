"""iCalendar feeds per station and per deputy, read back by the icalendar package, in Asia/Shanghai time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from tests.integration.test_station_support import deputy_id, session_body, world_fixture  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _calendar(world, path: str) -> icalendar.Calendar:  # type: ignore[no-untyped-def]
    answer = await world.client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(answer.content)


async def test_the_station_feed_carries_its_sessions_at_the_right_local_times(world):
    held = await world.created("/sessions", session_body(world))
    outside = await world.created(
        "/sessions",
        session_body(
            world,
            mode="outside",
            place="黄田村文化广场",
            starts_at="2026-03-14T06:30:00Z",  # Saturday 14:30 in Asia/Shanghai
            ends_at="2026-03-14T08:00:00Z",
            deputy_ids=[deputy_id("D3")],
            agency_staff=[{"organisation": "韶山市人民法院", "role": "法官"}],
        ),
    )
    await world.client.post(f"/sessions/{outside['id']}/cancel", json={"reason": "暴雨"}, headers=world.staff)
    calendar = await _calendar(world, f"/stations/{world.station_id}/calendar.ics")
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}
    assert set(events) == {held["id"], outside["id"]}

    first = events[held["id"]]
    assert first.decoded("DTSTART") == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
    assert first.decoded("DTSTART").tzinfo.key == "Asia/Shanghai"
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert first.decoded("DTEND") == datetime(2026, 3, 9, 11, 0, tzinfo=SHANGHAI)
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(first["LOCATION"]) == "一号乡政府大院"
    assert "代表1" in str(first["DESCRIPTION"]) and "代表2" in str(first["DESCRIPTION"])

    second = events[outside["id"]]
    assert second.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 3, 14, 14, 30)
    assert str(second["STATUS"]) == "CANCELLED" and str(second["LOCATION"]) == "黄田村文化广场"
    assert "韶山市人民法院（法官）" in str(second["DESCRIPTION"])


async def test_a_deputys_feed_carries_only_their_duty(world):
    mine = await world.created("/sessions", session_body(world, deputy_ids=[deputy_id("D1")]))
    await world.created("/sessions", session_body(world, deputy_ids=[deputy_id("D3")]))
    online = session_body(
        world,
        mode="online",
        meeting_url="https://meeting.example/room/7",
        starts_at="2026-03-10T19:00:00+08:00",
        ends_at="2026-03-10T20:00:00+08:00",
        deputy_ids=[deputy_id("D1")],
    )
    evening = await world.created("/sessions", online)
    calendar = await _calendar(world, f"/deputies/{deputy_id('D1')}/calendar.ics")
    assert "代表1" in str(calendar["X-WR-CALNAME"])
    events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("DTSTART"))
    assert [str(event["UID"]).split("@")[0] for event in events] == [mine["id"], evening["id"]]
    assert events[1].decoded("DTSTART") == datetime(2026, 3, 10, 19, 0, tzinfo=SHANGHAI)
    assert str(events[1]["URL"]) == "https://meeting.example/room/7"
    unknown = await world.client.get("/deputies/00000000-0000-4000-8000-000000000000/calendar.ics")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
