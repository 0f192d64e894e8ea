"""The micro-projects' ledger as a spreadsheet: every official who reads GET /ledger-entries gets the same entries,
with the pool and project by name and money as numbers of yuan with two decimals; a villager and nobody signed in
get nothing; what finance typed that looks like a formula comes out as text."""

import csv
import io
from contextlib import AsyncExitStack
from datetime import timedelta

import openpyxl
import pytest

from services.micro_funding.views import LEDGER_COLUMNS
from shared.auth import Role
from shared.sheets_out import XLSX_MEDIA_TYPE
from tests.integration.test_funding_support import create_draft, create_pool, start_funding, step, to_notice

INJECTION = "+cmd|' /C notepad'!A1 首付款"


@pytest.fixture
async def funding(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await start_funding(stack, nats_server, databases, keys)


def sheet_rows(answer) -> list[list]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX_MEDIA_TYPE
    assert answer.headers["content-disposition"].startswith('attachment; filename="ledger-')
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [column.zh for column in LEDGER_COLUMNS] and sheet.freeze_panes == "A2"
    for row in sheet.iter_rows(min_row=2, min_col=6, max_col=8):  # the money columns
        assert all(cell.number_format == "#,##0.00" for cell in row if cell.value is not None)
    return rows[1:]


async def funded_and_paid(f) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    caps = {"service_cap": "20000.00", "goods_cap": "20000.00", "works_cap": "50000.00"}
    pool = await create_pool(f, total="50000.00", **caps)
    project = await create_draft(f, pool["id"], budget="12000.50")
    await to_notice(f, project["id"], days=5)
    f.clock.advance(timedelta(days=5))
    await step(f, project["id"], "approval", {"note": "批准"}, f.office)
    progress = {"month": "2026-04", "percent": 60, "note": "设备已到货", "completed_milestone_ids": []}
    await step(f, project["id"], "progress", progress, f.deputy, expect=201)
    paid = {"amount": "8000.05", "purpose": INJECTION}
    await step(f, project["id"], "disbursements", paid, f.finance, expect=201)
    return pool, project


async def test_officials_get_the_ledger_in_yuan_as_the_list_shows_it(funding):
    f = funding
    pool, project = await funded_and_paid(f)
    officials = {
        "finance": f.finance,
        "the office": f.office,
        "station staff": f.staff,
        "a deputy": f.deputy,
        "an agency officer": f.headers(Role.agency_officer, organisation="water-bureau"),
    }
    for who, headers in officials.items():
        rows = sheet_rows(await f.client.get("/exports/ledger", params={"pool_id": pool["id"]}, headers=headers))
        listed = (await f.client.get("/ledger-entries", params={"pool_id": pool["id"]}, headers=headers)).json()
        assert [row[0] for row in rows] == [entry["seq"] for entry in listed["items"]], who
        assert [f"{row[5]:.2f}" for row in rows] == [entry["amount"] for entry in listed["items"]], who
    rows = sheet_rows(await f.client.get("/exports/ledger", params={"project_id": project["id"]}, headers=f.office))
    assert [(row[4], row[5], row[6], row[7]) for row in rows] == [
        ("安排", 12000.5, 37999.5, 12000.5),
        ("支付", 8000.05, 37999.5, 4000.45),
    ]
    assert {row[2] for row in rows} == {f"2026 {pool['name']}"} and {row[3] for row in rows} == {project["title"]}
    paid = rows[1]
    assert paid[HEADING("摘要")].startswith("'+cmd") and paid[HEADING("经办账号")] == "finance"
    whole = sheet_rows(await f.client.get("/exports/ledger", headers=f.finance))
    assert whole[0][4] == "拨入" and whole[0][5] == 50000 and whole[0][3] is None  # the pool's own first entry
    only = sheet_rows(await f.client.get("/exports/ledger", params={"kind": "disbursement"}, headers=f.finance))
    assert [row[5] for row in only] == [8000.05]
    answer = await f.client.get(
        "/exports/ledger",
        params={"format": "csv", "project_id": project["id"]},
        headers={**f.finance, "Accept-Language": "en"},
    )
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="ledger-project_2026-' in answer.headers["content-disposition"]
    parsed = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert parsed[0] == [column.en for column in LEDGER_COLUMNS]
    assert [row[4:8] for row in parsed[1:]] == [
        ["Allocation", "12000.50", "37999.50", "12000.50"],
        ["Disbursement", "8000.05", "37999.50", "4000.45"],
    ]
    assert parsed[2][8] == "'" + INJECTION


def HEADING(name: str) -> int:  # noqa: N802 - reads as a column's name
    return [column.zh for column in LEDGER_COLUMNS].index(name)


async def test_a_villager_and_nobody_signed_in_get_nothing(funding):
    f = funding
    await funded_and_paid(f)
    for headers, status in (({}, 401), (f.headers(Role.villager, subject="villager-1"), 403)):
        answer = await f.client.get("/exports/ledger", headers=headers)
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/problem+json"
