"""Pure station rules: recurrence days, rotation, opening hours, notice, redaction, input bounds (no I/O)."""

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import pytest
from pydantic import ValidationError

from devstack.demo.stations import demo_stations
from services.station_scheduling.domain.hours import check_notice, within_hours
from services.station_scheduling.domain.recurrence import reception_days
from services.station_scheduling.domain.rotation import pick
from services.station_scheduling.models import OpeningWindow, Station
from services.station_scheduling.schemas import OpeningWindowIn, RecordCreate, RotaCreate, SessionCreate
from shared.errors import Unprocessable
from shared.privacy import mask_name, mask_phone, redact

STATION_ID = "00000000-0000-4000-8000-000000000001"
DEPUTY_ID = "00000000-0000-4000-8000-000000000002"


def test_monthly_reception_days_cross_months_and_years() -> None:
    days = reception_days("FREQ=MONTHLY;BYMONTHDAY=9,19", date(2026, 11, 10), date(2027, 2, 28))
    assert days == [
        date(2026, 11, 19),
        date(2026, 12, 9),
        date(2026, 12, 19),
        date(2027, 1, 9),
        date(2027, 1, 19),
        date(2027, 2, 9),
        date(2027, 2, 19),
    ]


def test_weekly_rules_and_leap_days_come_out_right() -> None:
    mondays = reception_days("RRULE:FREQ=WEEKLY;BYDAY=MO", date(2026, 3, 25), date(2026, 4, 14))
    assert mondays == [date(2026, 3, 30), date(2026, 4, 6), date(2026, 4, 13)]
    last_day = reception_days("FREQ=MONTHLY;BYMONTHDAY=-1", date(2028, 1, 1), date(2028, 3, 31))
    assert last_day == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]
    first_monday = reception_days("FREQ=MONTHLY;BYDAY=1MO", date(2026, 1, 1), date(2026, 3, 31))
    assert first_monday == [date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2)]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=-1",
        "FREQ=SECONDLY",
        "FREQ=MONTHLY;UNTIL=20270101",
        "FREQ=WEEKLY;BYMINUTE=1",
        "FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO",
        "FREQ=MONTHLY;BYMONTHDAY=9;NONSENSE=1",
        "INTERVAL=2",
    ],
)
def test_rules_a_rota_cannot_use_are_refused(rule: str) -> None:
    with pytest.raises(Unprocessable):
        reception_days(rule, date(2026, 1, 1), date(2026, 12, 31))


def test_a_rule_that_never_matches_ends_fast_and_empty() -> None:
    started = time.monotonic()
    assert reception_days("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", date(2026, 1, 1), date(2026, 12, 31)) == []
    assert time.monotonic() - started < 2


def test_a_rule_with_too_many_days_is_refused() -> None:
    with pytest.raises(Unprocessable, match="at most 100"):
        reception_days("FREQ=DAILY", date(2026, 1, 1), date(2026, 12, 31))


def test_rotation_is_round_robin_and_passes_a_busy_turn_on() -> None:
    pool, served = ["a", "b", "c", "d", "e"], {}
    picks = []
    for busy in [set(), set(), {"a"}, set(), set()]:
        chosen = pick(pool, 2, served, busy)
        assert chosen is not None
        for deputy in chosen:
            served[deputy] = served.get(deputy, 0) + 1
        picks.append(chosen)
    assert picks == [["a", "b"], ["c", "d"], ["b", "e"], ["a", "c"], ["d", "e"]]
    assert pick(pool, 2, served, {"a", "b", "c", "d"}) is None


def _windows() -> list[OpeningWindow]:
    weekdays = [OpeningWindow(weekday=day, opens=clock_time(8, 30), closes=clock_time(17, 30)) for day in range(1, 6)]
    return [*weekdays, OpeningWindow(month_day=9, opens=clock_time(9), closes=clock_time(12))]


@pytest.mark.parametrize(
    ("start", "minutes", "inside"),
    [
        ("2026-03-09T01:00:00+00:00", 120, True),  # Monday 09:00-11:00 Shanghai
        ("2026-03-09T00:30:00+00:00", 540, True),  # 08:30-17:30 exactly
        ("2026-03-09T00:00:00+00:00", 60, False),  # 08:00: before opening
        ("2026-03-09T09:00:00+00:00", 60, False),  # 17:00-18:00: after closing
        ("2026-03-14T01:00:00+00:00", 60, False),  # Saturday
        ("2026-05-09T01:00:00+00:00", 120, True),  # Saturday 9 May: a monthly reception day
        ("2026-05-09T03:30:00+00:00", 60, False),  # ... but only until 12:00
        ("2026-03-09T15:00:00+00:00", 600, False),  # 23:00 into the next day
    ],
)
def test_opening_hours_are_checked_in_shanghai_time(start: str, minutes: int, inside: bool) -> None:
    starts = datetime.fromisoformat(start)
    assert within_hours(_windows(), starts, starts + timedelta(minutes=minutes)) is inside


def test_notice_is_three_days_unless_a_reason_is_given() -> None:
    station = Station(notice_days=3)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    assert check_notice(station, now + timedelta(days=3), now, None) == []
    with pytest.raises(Unprocessable):
        check_notice(station, now + timedelta(days=2), now, None)
    assert check_notice(station, now + timedelta(days=2), now, "汛期") == ["short notice: 汛期"]
    with pytest.raises(Unprocessable):
        check_notice(station, now - timedelta(minutes=1), now, "补录")


def test_personal_data_is_masked_and_redacted() -> None:
    assert mask_name("毛秀英") == "毛**" and mask_name(None) is None
    assert mask_phone("13812345678") == "138****5678"
    assert redact("请联系 138-1234-5678 或 430382199001011234") == "请联系 ************* 或 ******************"
    assert redact("3组有12户受影响，2026年") == "3组有12户受影响，2026年"


def _session(**changes: object) -> dict:
    return {
        "station_id": STATION_ID,
        "starts_at": "2026-03-09T09:00:00+08:00",
        "ends_at": "2026-03-09T11:00:00+08:00",
        "capacity": 10,
        "topic": "接待日",
        "deputy_ids": [DEPUTY_ID],
        **changes,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"mode": "outside"},
        {"mode": "online"},
        {"mode": "online", "meeting_url": "javascript:alert(1)"},
        {"starts_at": "2026-03-09T09:00:00"},
        {"starts_at": "1999-12-31T09:00:00+08:00"},
        {"ends_at": "2026-03-09T08:00:00+08:00"},
        {"ends_at": "2026-03-10T09:00:00+08:00"},
        {"capacity": 0},
        {"capacity": 501},
        {"deputy_ids": []},
        {"deputy_ids": [DEPUTY_ID, DEPUTY_ID]},
        {"topic": "x\x00y"},
        {"topic": "长" * 201},
    ],
)
def test_session_input_is_bounded(changes: dict) -> None:
    with pytest.raises(ValidationError):
        SessionCreate.model_validate(_session(**changes))


def test_session_times_are_kept_in_utc() -> None:
    session = SessionCreate.model_validate(_session())
    assert session.starts_at == datetime(2026, 3, 9, 1, tzinfo=UTC) and session.starts_at.utcoffset() == timedelta(0)


def test_records_and_rotas_check_their_shape() -> None:
    record = {"grid_id": STATION_ID, "kind": "request", "category": "water", "raised": "水费", "summary": "水费"}
    with pytest.raises(ValidationError):
        RecordCreate.model_validate({**record, "outcome": "follow_up"})  # no route
    with pytest.raises(ValidationError):
        RecordCreate.model_validate({**record, "outcome": "answered"})  # no answer
    RecordCreate.model_validate({**record, "outcome": "answered", "answer": "已答复"})
    rota = {
        "station_id": STATION_ID,
        "rule": "FREQ=WEEKLY;BYDAY=MO",
        "starts_on": "2026-01-01",
        "ends_on": "2027-02-01",
        "start_time": "09:00",
        "duration_minutes": 60,
        "capacity": 10,
        "topic": "接待日",
    }
    with pytest.raises(ValidationError):
        RotaCreate.model_validate(rota)  # more than 366 days
    with pytest.raises(ValidationError):
        RotaCreate.model_validate({**rota, "ends_on": "2026-06-01", "start_time": "09:00+08:00"})
    with pytest.raises(ValidationError):
        OpeningWindowIn.model_validate({"weekday": 1, "month_day": 9, "opens": "09:00", "closes": "12:00"})


def test_the_reference_city_has_one_main_four_township_and_area_stations() -> None:
    stations = demo_stations()
    tiers = [station.tier for station in stations]
    assert tiers.count("main") == 1 and tiers.count("township") == 4 and tiers.count("area") >= 3
    area = [station for station in stations if station.tier == "area"]
    assert all(station.served_grid_ids and station.hours for station in area)
