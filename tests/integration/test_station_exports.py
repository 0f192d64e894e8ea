"""Reception records as a spreadsheet: station staff and the office get every record with the visitor masked as
the bookings show it; a deputy on duty the records of their sessions without the visitor; a deputy off duty
none; a villager, finance and an agency officer are refused, and nobody signed in gets nothing."""

import csv
import io
from datetime import timedelta

import openpyxl

from services.station_scheduling.views.exports import COLUMNS
from shared.auth import Role
from shared.sheets_out import XLSX_MEDIA_TYPE
from tests.integration.test_station_records import ANSWERED, FOLLOW_UP
from tests.integration.test_station_support import grid_id, session_body, world_fixture  # noqa: F401

NAME, PHONE = "毛秀英", "13812345678"
INJECTION = "@SUM(1+1)*cmd|' /C calc'!A0"
HEADINGS = [column.zh for column in COLUMNS]
VISITOR, VISITOR_PHONE, RAISED = HEADINGS.index("来访人"), HEADINGS.index("来访人电话"), HEADINGS.index("当面提")


def sheet_rows(answer) -> list[list]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX_MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADINGS and sheet.freeze_panes == "A2"
    return rows[1:]


async def two_records(world) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    session = await world.created("/sessions", session_body(world))
    walk_in = {"topic": "河道", "visitor_name": NAME, "visitor_phone": PHONE}
    booking = await world.created(f"/sessions/{session['id']}/walk-ins", walk_in)
    world.clock.advance(timedelta(days=7, hours=1, minutes=10))  # Monday 9 March, 09:10 in Asia/Shanghai
    follow_up = {**FOLLOW_UP, "raised": INJECTION, "booking_id": booking["id"], "grid_id": grid_id("T1V1G1")}
    first = await world.created(f"/sessions/{session['id']}/records", follow_up)
    second = await world.created(f"/sessions/{session['id']}/records", {**ANSWERED, "grid_id": grid_id("T1V1G2")})
    return first, second


async def test_staff_and_the_office_get_every_record_with_the_visitor_masked(world):
    first, second = await two_records(world)
    office = world.keys.headers(Role.npc_office)
    for headers in (world.staff, office):
        answer = await world.client.get("/exports/receptions", headers=headers)
        assert "receptions_all.xlsx" in answer.headers["content-disposition"]
        rows = sheet_rows(answer)
        listed = (await world.client.get("/records", headers=headers)).json()["items"]
        assert len(rows) == len(listed) == 2
        by_raised = {row[RAISED]: row for row in rows}
        injected = by_raised["'" + INJECTION]
        assert (injected[VISITOR], injected[VISITOR_PHONE]) == ("毛**", "138****5678")
        assert injected[:4] == [injected[0], "一号乡人大代表联络站", "站内接待", "代表1、代表2"]
        assert injected[0].isoformat() == "2026-03-09T09:00:00"  # Beijing time
        assert injected[HEADINGS.index("村民小组")] == "T1V1G1" and injected[HEADINGS.index("结果")] == "需要跟进"
        assert injected[HEADINGS.index("跟进方式")] == "转市直部门"
        answered = by_raised[ANSWERED["raised"]]
        assert answered[HEADINGS.index("当面答")] == ANSWERED["answer"]
        assert answered[HEADINGS.index("类别")] == "用水和水费"  # case intake's one name of the category
        assert NAME not in str(rows) and PHONE not in str([row[VISITOR_PHONE] for row in rows])
    # the filters of the list, a period, and CSV in English
    answered_only = sheet_rows(
        await world.client.get("/exports/receptions", params={"outcome": "answered"}, headers=office)
    )
    assert [row[RAISED] for row in answered_only] == [ANSWERED["raised"]]
    march = {"date_from": "2026-03-01", "date_to": "2026-03-09"}
    assert len(sheet_rows(await world.client.get("/exports/receptions", params=march, headers=office))) == 2
    april = {"date_from": "2026-04-01", "date_to": "2026-04-30"}
    assert sheet_rows(await world.client.get("/exports/receptions", params=april, headers=office)) == []
    backwards = {"date_from": "2026-04-01", "date_to": "2026-03-01"}
    assert (await world.client.get("/exports/receptions", params=backwards, headers=office)).status_code == 422
    text = await world.client.get(
        "/exports/receptions", params={"format": "csv", **march}, headers={**office, "Accept-Language": "en"}
    )
    assert text.status_code == 200 and text.content.startswith(b"\xef\xbb\xbf")
    assert "receptions_2026-03-01_2026-03-09.csv" in text.headers["content-disposition"]
    parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"), newline="")))
    assert parsed[0] == [column.en for column in COLUMNS]
    row = next(row for row in parsed[1:] if row[VISITOR])
    assert (row[0], row[2], row[VISITOR], row[RAISED]) == (
        "2026-03-09 09:00",
        "At the station",
        "毛**",
        "'" + INJECTION,
    )


async def test_a_deputy_gets_the_records_of_their_sessions_without_the_visitor_and_strangers_nothing(world):
    await two_records(world)

    async def listed(headers: dict[str, str]) -> int:
        return (await world.client.get("/records", headers=headers)).json()["total"]

    on_duty = sheet_rows(await world.client.get("/exports/receptions", headers=world.deputy("D1")))
    assert len(on_duty) == await listed(world.deputy("D1")) == 2
    assert all(row[VISITOR] is None and row[VISITOR_PHONE] is None for row in on_duty)
    off_duty = sheet_rows(await world.client.get("/exports/receptions", headers=world.deputy("D3")))
    assert off_duty == [] and await listed(world.deputy("D3")) == 0
    refused = {
        "nobody signed in": ({}, 401),
        "a villager": (world.villager("a"), 403),
        "finance": (world.keys.headers(Role.finance), 403),
        "an agency officer": (world.keys.headers(Role.agency_officer, organisation="water-bureau"), 403),
    }
    for who, (headers, status) in refused.items():
        answer = await world.client.get("/exports/receptions", headers=headers)
        assert answer.status_code == status, who
        assert answer.headers["content-type"] == "application/problem+json", who
