"""The deputy service's import of the roster over real NATS and a real database: two steps, upsert by code, home
grids by code or name, phone numbers never repeated in a report, GB18030 CSV, and the files it refuses."""

import io
import uuid
from contextlib import AsyncExitStack

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from services.deputy.models import KnownGrid
from shared.auth import Role
from shared.messaging.bus import Bus
from shared.messaging.catalogue import GridCreated, envelope
from tests.integration.sheets import XLSX_TYPE, csv_bytes, headings_of, upload, xlsx
from tests.support import eventually, start_service

PROBLEM = "application/problem+json"
HEAD = ["代表编码", "姓名", "代表层级", "选区", "单位职务", "联系电话", "是否主任会议成员", "居住地/所在网格"]
ROSTER = [
    HEAD,
    ["D001", "毛建国", "市级", "第1选区", "韶山村村民委员会主任", 13800138001, "是", "T1V1G1"],
    ["D002", "刘春华", "乡镇级", "第1选区", "个体工商户", "138-0013-8002", "否", "湘韶村第2组"],
    ["D003", "李秀英", "两级", "第2选区", None, None, None, None],
]


class World:
    def __init__(self, service, keys, nats_url: str) -> None:
        self.service = service
        self.client = service.client
        self.office = keys.headers(Role.npc_office, subject="office-1")
        self.keys = keys
        self.nats_url = nats_url
        self.grid_ids: dict[str, str] = {}

    async def grids(self, *names: tuple[str, str]) -> None:
        """Groups the deputy service hears of from the grid service's events."""
        bus = Bus(self.nats_url)
        await bus.connect()
        try:
            for grid_code, name in names:
                self.grid_ids[grid_code] = str(uuid.uuid4())
                event = GridCreated(
                    grid_id=self.grid_ids[grid_code], code=grid_code, name=name, level="group", parent_id=None
                )
                message = envelope("/tests", event)
                await bus.publish(message.type, message.model_dump_json().encode(), {})
        finally:
            await bus.close()

        async def known() -> bool:
            async with self.service.runtime.maker() as session:
                return (await session.execute(select(func.count()).select_from(KnownGrid))).scalar_one() == len(names)

        await eventually(known)

    async def deputies(self) -> dict[str, dict]:
        listed = (await self.client.get("/deputies", params={"limit": 200})).json()["items"]
        answers = [await self.client.get(f"/deputies/{item['id']}", headers=self.office) for item in listed]
        return {answer.json()["code"]: answer.json() for answer in answers}

    async def outbox(self, event_type: str) -> int:
        outbox = self.service.runtime.tables.outbox
        async with self.service.runtime.maker() as session:
            query = select(func.count()).select_from(outbox).where(outbox.c.event_type == event_type)
            return (await session.execute(query)).scalar_one()


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        world = World(service, keys, nats_server.url)
        await world.grids(("T1V1G1", "湘韶村第1组"), ("T1V1G2", "湘韶村第2组"))
        yield world


async def test_the_roster_is_checked_then_imported_and_a_reimport_changes_nothing(world):
    content = xlsx(ROSTER)
    dry = await upload(world.client, "/imports/deputies", content, world.office)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["bad_rows"], dry.json()["committed"]) == (3, 0, False)
    assert await world.deputies() == {} and await world.outbox("deputy.deputy.registered.v1") == 0

    committed = await upload(world.client, "/imports/deputies", content, world.office, commit=True)
    assert committed.json()["created"] == 3, committed.text
    roster = await world.deputies()
    first, second, third = roster["D001"], roster["D002"], roster["D003"]
    assert (first["name"], first["level"], first["council_member"]) == ("毛建国", "city", True)
    assert first["contact_phone"] == "13800138001" and first["home_grid_id"] == world.grid_ids["T1V1G1"]
    assert first["organisation"] == "韶山村村民委员会主任" and first["district"] == "第1选区"
    assert (second["level"], second["council_member"], second["home_grid_id"]) == (
        "township",
        False,
        world.grid_ids["T1V1G2"],  # named by its group's name
    )
    assert (third["level"], third["contact_phone"], third["home_grid_id"]) == ("both", None, None)
    assert await world.outbox("deputy.deputy.registered.v1") == 3

    again = (await upload(world.client, "/imports/deputies", content, world.office, commit=True)).json()
    assert (again["created"], again["changed"], again["unchanged"]) == (0, 0, 3)
    assert await world.deputies() == roster

    moved = [row[:] for row in ROSTER]
    moved[1][5], moved[3][6] = "13900139001", "是"
    changed = (await upload(world.client, "/imports/deputies", xlsx(moved), world.office, commit=True)).json()
    assert [(item["key"], item["outcome"], item["fields"]) for item in changed["items"]] == [
        ("D001", "changed", ["联系电话"]),
        ("D002", "unchanged", []),
        ("D003", "changed", ["是否主任会议成员"]),
    ]
    assert (await world.deputies())["D001"]["contact_phone"] == "13900139001"
    assert await world.outbox("deputy.deputy.updated.v1") == 3 + 1  # the phone is never published
    audit = (await world.client.get("/audit", params={"action": "deputy.import"}, headers=world.office)).json()
    assert audit["total"] == 4 and audit["items"][0]["detail"]["changed"] == 2


async def test_bad_rows_are_named_without_repeating_a_phone_and_keep_nothing_unless_skipped(world):
    rows = [
        *ROSTER,
        ["D004", "王芳", "省级", "第3选区", None, "13800138004", None, None],
        ["D005", "张伟", "市级", None, None, "call me 13800138005", "也许", None],
        ["D001", "毛建国", "市级", "第1选区", None, None, None, None],
        ["D006", "陈红梅", "市级", "第3选区", None, None, None, "T9"],
    ]
    answer = await upload(world.client, "/imports/deputies", xlsx(rows), world.office)
    report = answer.json()
    faults = {(problem["row"], problem["column"], problem["rule"]) for problem in report["errors"]}
    assert faults == {
        (5, "代表层级", "not_choice"),
        (6, "选区", "required"),
        (6, "联系电话", "not_phone"),
        (6, "是否主任会议成员", "not_boolean"),
        (7, "代表编码", "duplicate"),
        (8, "居住地/所在网格", "import.home_unknown"),
    }
    assert "13800138005" not in answer.text and "13800138001" not in answer.text
    assert "市级、乡镇级、两级" in next(p["message"] for p in report["errors"] if p["rule"] == "not_choice")
    refused = await upload(world.client, "/imports/deputies", xlsx(rows), world.office, commit=True)
    assert refused.status_code == 422 and refused.json()["report"]["bad_rows"] == 4
    assert await world.deputies() == {}
    skipped = await upload(world.client, "/imports/deputies", xlsx(rows), world.office, commit=True, skip_bad_rows=True)
    assert (skipped.json()["created"], skipped.json()["skipped"]) == (3, 4)
    assert set(await world.deputies()) == {"D001", "D002", "D003"}

    retired = (await world.deputies())["D003"]
    answer = await world.client.post(
        f"/deputies/{retired['id']}/retire", json={"retired_on": "2026-01-01", "reason": "调离"}, headers=world.office
    )
    assert answer.status_code == 200
    again = (await upload(world.client, "/imports/deputies", xlsx(ROSTER), world.office, language="en")).json()
    assert [(p["row"], p["rule"], p["message"]) for p in again["errors"]] == [
        (4, "deputy.retired", "The deputy is retired and cannot change.")
    ]


async def test_a_gb18030_csv_from_excel_is_read(world):
    content = csv_bytes(ROSTER, "gb18030")
    answer = await upload(world.client, "/imports/deputies", content, world.office, name="代表名单.csv", commit=True)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["encoding"], answer.json()["created"]) == ("gb18030", 3)
    assert (await world.deputies())["D002"]["name"] == "刘春华"


async def test_a_workbook_of_100000_rows_a_formula_or_a_pdf_is_refused_and_nothing_is_stored(world):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEAD)
    for index in range(100_000):
        sheet.append([f"D{index:06d}", "代表", "市级", "第1选区"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    many = await upload(world.client, "/imports/deputies", buffer.getvalue(), world.office, commit=True)
    assert many.status_code == 422 and many.headers["content-type"] == PROBLEM
    assert many.json()["refusal"] == "too_many_rows"
    formula = xlsx([HEAD, ["D001", "毛建国", "市级", "第1选区", None, '=HYPERLINK("http://x")', None, None]])
    answer = await upload(world.client, "/imports/deputies", formula, world.office, commit=True)
    assert (answer.status_code, answer.json()["cells"]) == (422, ["F2"])
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n\x00\x01\x02\x03\nendstream"
    answer = await upload(world.client, "/imports/deputies", pdf, world.office, name="roster.pdf", commit=True)
    assert (answer.status_code, answer.json()["refusal"]) == (415, "not_spreadsheet")
    assert await world.deputies() == {}


async def test_only_the_office_imports_the_roster_or_gets_its_template(world):
    template = await world.client.get("/imports/deputies/template", headers=world.office)
    assert template.status_code == 200 and template.headers["content-type"] == XLSX_TYPE
    assert headings_of(template.content)[:4] == ["代表编码", "姓名", "代表层级", "选区"]
    for role in (Role.villager, Role.deputy, Role.station_staff, Role.agency_officer, Role.finance, None):
        headers = world.keys.headers(role) if role else {}
        expected = 403 if role else 401
        answer = await upload(world.client, "/imports/deputies", xlsx(ROSTER), headers, commit=True)
        assert answer.status_code == expected, (role, answer.text)
        assert (await world.client.get("/imports/deputies/template", headers=headers)).status_code == expected
    assert await world.deputies() == {}
