"""The grid service's spreadsheet imports over real NATS and a real database: the tree (with boundaries from
GeoJSON) and the assignments, in two steps (dry run, commit), by the API's own rules; and the files it refuses."""

import io
import json
import uuid
import zipfile
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select

from services.grid.models import KnownDeputy
from shared.auth import Role
from shared.messaging.bus import Bus
from shared.messaging.catalogue import DeputyRegistered, envelope
from tests.integration.sheets import XLSX_TYPE, csv_bytes, headings_of, upload, xlsx
from tests.support import eventually, start_service

PROBLEM = "application/problem+json"
HEAD = ["编码", "名称", "层级", "上级编码", "选区", "人口", "户数"]
TREE = [
    HEAD,
    ["T1", "韶山乡", "乡镇", None, None, 12000, 4000],
    ["T1V1", "湘韶村", "村", "T1", "第1选区", 1500, 500],
    ["T1V1G1", "湘韶村第1组", "组", "T1V1", None, 300, 100],
    ["T1V1G2", "湘韶村第2组", "组", "T1V1", None, 280, 90],
]


def square(west: float, south: float, size: float = 0.01) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def boundaries(**shapes: dict) -> bytes:
    features = [{"type": "Feature", "properties": {"编码": code}, "geometry": shape} for code, shape in shapes.items()]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


class World:
    def __init__(self, service, keys, nats_url: str) -> None:
        self.service = service
        self.client = service.client
        self.office = keys.headers(Role.npc_office, subject="office-1")
        self.keys = keys
        self.nats_url = nats_url

    async def grids(self) -> dict[str, dict]:
        answer = await self.client.get("/grids", params={"limit": 200})
        return {item["code"]: item for item in answer.json()["items"]}

    async def outbox(self, event_type: str) -> int:
        outbox = self.service.runtime.tables.outbox
        async with self.service.runtime.maker() as session:
            query = select(func.count()).select_from(outbox).where(outbox.c.event_type == event_type)
            return (await session.execute(query)).scalar_one()

    async def deputy(self, code: str, *, council: bool = False) -> str:
        """A deputy the grid service hears of from the deputy service's event."""
        deputy_id = str(uuid.uuid4())
        event = DeputyRegistered(
            deputy_id=deputy_id, code=code, name=f"代表{code}", level="city", district="第1选区", council_member=council
        )
        bus = Bus(self.nats_url)
        await bus.connect()
        try:
            message = envelope("/tests", event)
            await bus.publish(message.type, message.model_dump_json().encode(), {})
        finally:
            await bus.close()

        async def known() -> bool:
            async with self.service.runtime.maker() as session:
                return await session.get(KnownDeputy, deputy_id) is not None

        await eventually(known)
        return deputy_id


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        yield World(service, keys, nats_server.url)


# --- the two steps -----------------------------------------------------------------------------------------


async def test_a_dry_run_reports_every_row_and_keeps_nothing_then_the_commit_imports_and_a_reimport_changes_nothing(
    world,
):
    content = xlsx(TREE)
    shapes = boundaries(T1V1G1=square(112.50, 27.90), T1V1G2=square(112.51, 27.90))
    dry = await upload(world.client, "/imports/grids", content, world.office, boundaries=shapes)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["committed"], report["format"]) == (True, False, "xlsx")
    assert (report["rows"], report["created"], report["changed"], report["unchanged"]) == (4, 4, 0, 0)
    assert [(item["row"], item["key"], item["outcome"]) for item in report["items"]] == [
        (2, "T1", "created"),
        (3, "T1V1", "created"),
        (4, "T1V1G1", "created"),
        (5, "T1V1G2", "created"),
    ]
    assert len(report["sha256"]) == 64 and report["errors"] == []
    assert await world.grids() == {} and await world.outbox("grid.grid.created.v1") == 0
    other = await upload(world.client, "/imports/grids", content, world.office, commit=True, expect_sha256="0" * 64)
    assert (other.status_code, other.json()["refusal"]) == (409, "wrong_file") and await world.grids() == {}

    committed = await upload(
        world.client, "/imports/grids", content, world.office, commit=True, boundaries=shapes,
        expect_sha256=report["sha256"],
    )  # fmt: skip
    assert committed.status_code == 200, committed.text
    assert committed.json()["committed"] and committed.json()["created"] == 4
    grids = await world.grids()
    assert grids["T1V1G1"]["parent_id"] == grids["T1V1"]["id"] and grids["T1V1"]["parent_id"] == grids["T1"]["id"]
    assert grids["T1V1"]["district"] == "第1选区" and grids["T1"]["population"] == 12000
    assert grids["T1V1G1"]["has_boundary"] and grids["T1V1G1"]["centre_lat"] == pytest.approx(27.905)
    assert await world.outbox("grid.grid.created.v1") == 4

    again = await upload(world.client, "/imports/grids", content, world.office, commit=True, boundaries=shapes)
    assert (again.json()["created"], again.json()["changed"], again.json()["unchanged"]) == (0, 0, 4)
    assert await world.grids() == grids and await world.outbox("grid.grid.changed.v1") == 0

    renamed = [row[:] for row in TREE]
    renamed[3][1], renamed[3][5] = "湘韶村第一组", 310
    changed = await upload(world.client, "/imports/grids", xlsx(renamed), world.office, commit=True)
    body = changed.json()
    assert (body["created"], body["changed"], body["unchanged"]) == (0, 1, 3)
    assert body["items"][2]["outcome"] == "changed" and body["items"][2]["fields"] == ["名称", "人口"]
    group = (await world.grids())["T1V1G1"]
    assert (group["name"], group["population"], group["version"], group["has_boundary"]) == (
        "湘韶村第一组",
        310,
        2,
        True,
    )
    history = (await world.client.get(f"/grids/{group['id']}/history", headers=world.office)).json()["items"]
    assert history[-1]["reason"].startswith("spreadsheet import sha256:")
    assert await world.outbox("grid.grid.changed.v1") == 1

    audit = (await world.client.get("/audit", params={"action": "grid.import"}, headers=world.office)).json()
    assert audit["total"] == 4
    assert [entry["detail"]["dry_run"] for entry in audit["items"]] == [False, False, False, True]
    assert audit["items"][-1]["detail"]["sha256"] == report["sha256"] and audit["items"][-1]["actor_id"] == "office-1"
    created_one = await world.client.get("/audit", params={"action": "grid.create"}, headers=world.office)
    assert created_one.json()["total"] == 4  # each grid is audited as the API audits it


async def test_one_bad_row_commits_nothing_unless_the_office_skips_bad_rows(world):
    rows = [
        *TREE,
        ["T1V2", "韶阳村", "村", "T9", None, None, None],  # a township that does not exist
        ["T1V1G1", "重复的组", "组", "T1V1", None, None, None],  # the code again
        ["T1V1G3", "湘韶村第3组", "第三层", "T1V1", None, "很多", None],  # no such level, not a number
        ["T1V3G1", "一组", "组", "T1V2", None, None, None],  # under the bad village
    ]
    dry = (await upload(world.client, "/imports/grids", xlsx(rows), world.office)).json()
    assert dry["bad_rows"] == 4 and dry["created"] == 4
    faults = {(problem["row"], problem["column"], problem["rule"]) for problem in dry["errors"]}
    assert faults == {
        (6, "上级编码", "import.parent_unknown"),
        (7, "编码", "duplicate"),
        (8, "层级", "not_choice"),
        (8, "人口", "not_integer"),
        (9, "上级编码", "import.parent_unknown"),
    }
    words = {problem["row"]: problem["message"] for problem in dry["errors"]}
    assert "T9" in words[6] and "不存在" in words[6] and "第 4 行" in words[7]
    english = (await upload(world.client, "/imports/grids", xlsx(rows), world.office, language="en")).json()
    assert {problem["column"] for problem in english["errors"]} == {"上级编码", "编码", "层级", "人口"}  # the file's
    assert any("No grid has the parent code T9" in problem["message"] for problem in english["errors"])

    refused = await upload(world.client, "/imports/grids", xlsx(rows), world.office, commit=True)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert "4" in refused.json()["detail"] and refused.json()["report"]["bad_rows"] == 4
    assert await world.grids() == {} and await world.outbox("grid.grid.created.v1") == 0

    skipped = await upload(world.client, "/imports/grids", xlsx(rows), world.office, commit=True, skip_bad_rows=True)
    assert skipped.status_code == 200, skipped.text
    assert (skipped.json()["created"], skipped.json()["skipped"], skipped.json()["committed"]) == (4, 4, True)
    assert set(await world.grids()) == {"T1", "T1V1", "T1V1G1", "T1V1G2"}


async def test_the_rules_of_the_tree_hold_in_an_import_as_in_the_api(world):
    await upload(world.client, "/imports/grids", xlsx(TREE), world.office, commit=True)
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    rows = [
        HEAD,
        ["T2G1", "错组", "组", "T1", None, None, None],  # a group under a township
        ["T1V1", "湘韶村", "乡镇", None, None, None, None],  # a village made a township
        ["T2", "杨林乡", "乡镇", None, None, None, None],
    ]
    shapes = boundaries(T2=bowtie, T9=square(0, 0))
    dry = (await upload(world.client, "/imports/grids", xlsx(rows), world.office, boundaries=shapes)).json()
    faults = {(problem["row"], problem["column"], problem["rule"]) for problem in dry["errors"]}
    assert faults == {
        (2, "上级编码", "grid.parent_level"),
        (3, "层级", "import.level_changed"),
        (4, "边界（GeoJSON）", "grid.boundary"),
        (None, None, "import.boundary_orphan"),
    }


async def test_assignments_follow_the_council_rule_and_a_repeated_file_changes_nothing(world):
    await upload(world.client, "/imports/grids", xlsx(TREE), world.office, commit=True)
    await world.deputy("D001", council=True)
    await world.deputy("D002")
    head = ["代表编码", "代表姓名", "网格编码", "角色", "依据", "开始日期"]
    rows = [
        head,
        ["D002", "代表D002", "T1", "网格长", "原选区", "2026-01-01"],  # not on the council
        ["D001", "代表D001", "T1", "网格长", "原选区", "2026-01-01"],
        ["D002", "代表D002", "T1V1G1", "成员", "就近", "2026/1/5"],
        ["D001", "张三", "T1V1G2", None, None, "2026年1月5日"],  # the name is not D001's
        ["D404", None, "T1V1G2", None, None, "2026-01-05"],
    ]
    dry = (await upload(world.client, "/imports/assignments", xlsx(rows), world.office)).json()
    faults = {(problem["row"], problem["column"], problem["rule"]) for problem in dry["errors"]}
    assert faults == {
        (2, "角色", "assignment.council"),
        (5, "代表姓名", "import.deputy_name"),
        (6, "代表编码", "import.deputy_unknown"),
    }
    assert "主任会议成员" in next(p["message"] for p in dry["errors"] if p["row"] == 2)
    assert (
        await upload(world.client, "/imports/assignments", xlsx(rows), world.office, commit=True)
    ).status_code == 422
    assert (await world.client.get("/assignments")).json()["total"] == 0

    good = [head, rows[2], rows[3]]
    committed = (await upload(world.client, "/imports/assignments", xlsx(good), world.office, commit=True)).json()
    assert (committed["created"], committed["committed"]) == (2, True)
    listed = (await world.client.get("/assignments")).json()["items"]
    assert sorted((item["role"], item["basis"], item["starts_on"]) for item in listed) == [
        ("grid_head", "electoral_district", "2026-01-01"),
        ("member", "proximity", "2026-01-05"),
    ]
    again = (await upload(world.client, "/imports/assignments", xlsx(good), world.office, commit=True)).json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert await world.outbox("grid.assignment.started.v1") == 2
    other = [head, ["D002", None, "T1V1G1", "网格长", "就近", "2026-01-05"]]  # the same pair, another role
    differs = (await upload(world.client, "/imports/assignments", xlsx(other), world.office)).json()
    assert [(p["column"], p["rule"]) for p in differs["errors"]] == [("角色", "import.differs")]
    assert "成员" in differs["errors"][0]["message"]


# --- files ---------------------------------------------------------------------------------------------------


async def test_csv_in_gb18030_and_utf8_with_a_bom_and_english_headings_are_read(world):
    gb = await upload(world.client, "/imports/grids", csv_bytes(TREE, "gb18030"), world.office, name="网格.csv")
    assert gb.status_code == 200, gb.text
    assert (gb.json()["format"], gb.json()["encoding"], gb.json()["created"]) == ("csv", "gb18030", 4)
    english = [["code", "name", "level", "parent code", "electoral district", "population", "households"], *TREE[1:]]
    bom = await upload(
        world.client, "/imports/grids", csv_bytes(english, "utf-8-sig"), world.office, name="grids.csv", commit=True
    )
    assert (bom.json()["encoding"], bom.json()["created"]) == ("utf-8-sig", 4), bom.text
    assert (await world.grids())["T1V1G1"]["name"] == "湘韶村第1组"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_files_that_are_no_spreadsheet_or_break_a_limit_are_refused_whole(world):
    async def refused(content: bytes, name: str = "data.xlsx", language: str = "zh-CN"):
        answer = await upload(world.client, "/imports/grids", content, world.office, name=name, commit=True,
                              language=language)  # fmt: skip
        assert answer.headers["content-type"] == PROBLEM, answer.text
        return answer.status_code, answer.json()

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    assert (await refused(png, "photo.xlsx"))[0] == 415
    assert (await refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls"))[1]["refusal"] == "xls"
    assert (await refused(_zip({"word/document.xml": b"<w/>"}), "letter.docx"))[1]["refusal"] == "not_xlsx"
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<" + b"a" * 20_000_000 + b"/>"})
    assert len(bomb) < 100_000
    status, body = await refused(bomb, "bomb.xlsx")
    assert (status, body["refusal"]) == (422, "zip_bomb")
    formulas = xlsx(
        [HEAD, ["T1", "韶山乡", "乡镇", None, None, "=1+1", None], ["T2", "杨林乡", "乡镇", None, None, "=A2", None]]
    )
    status, body = await refused(formulas)
    assert (status, body["refusal"], body["cells"]) == (422, "formula", ["F2", "F3"])
    assert "F2" in body["detail"] and "公式" in body["detail"]
    english = await refused(formulas, language="en")
    assert "Cell F2 holds a formula" in english[1]["detail"]
    many = csv_bytes([HEAD] + [[f"T{n}", f"乡{n}", "乡镇", None, None, None, None] for n in range(100_000)])
    status, body = await refused(many, "many.csv")
    assert (status, body["refusal"]) == (422, "too_many_rows") and "2000" in body["detail"]
    assert (await refused(b"x" * (10 * 1024 * 1024 + 1), "big.csv"))[0] == 413
    assert (await refused(b"", "empty.csv"))[1]["refusal"] == "empty"
    status, body = await refused(csv_bytes([["地址", "人口"], ["韶山乡", 1]]), "few.csv")
    assert (status, body["refusal"]) == (422, "no_header") and "编码" in body["detail"]
    status, body = await refused(csv_bytes([["编码", "名称"], ["T1", "韶山乡"]]), "some.csv")
    assert (status, body["refusal"]) == (422, "missing_columns") and "层级" in body["detail"]
    assert (await world.grids()) == {}
    assert (await world.client.get("/audit", params={"action": "grid.import"}, headers=world.office)).json()[
        "total"
    ] == 0


async def test_the_templates_download_and_a_filled_template_imports(world):
    answer = await world.client.get("/imports/grids/template", headers=world.office)
    assert answer.status_code == 200 and answer.headers["content-type"] == XLSX_TYPE
    assert "attachment" in answer.headers["content-disposition"]
    assert headings_of(answer.content)[:4] == ["编码", "名称", "层级", "上级编码"]
    english = await world.client.get("/imports/assignments/template", headers={**world.office, "Accept-Language": "en"})
    assert headings_of(english.content)[:3] == ["deputy code", "deputy name", "grid code"]
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(answer.content))
    sheet = workbook.worksheets[0]
    columns = {heading: index for index, heading in enumerate(headings_of(answer.content), start=1)}
    for index, row in enumerate(TREE[1:], start=2):
        for heading, value in zip(HEAD, row, strict=True):
            sheet.cell(row=index, column=columns[heading], value=value)
    filled = io.BytesIO()
    workbook.save(filled)
    imported = await upload(world.client, "/imports/grids", filled.getvalue(), world.office, commit=True)
    assert imported.json()["created"] == 4, imported.text
    schema = (world.service.app.openapi())["paths"]
    assert XLSX_TYPE in schema["/imports/{kind}/template"]["get"]["responses"]["200"]["content"]
    assert "multipart/form-data" in schema["/imports/grids"]["post"]["requestBody"]["content"]


async def test_only_the_office_imports_or_downloads_templates(world):
    for role in (Role.villager, Role.deputy, Role.station_staff, Role.agency_officer, Role.finance, None):
        headers = world.keys.headers(role) if role else {}
        expected = 403 if role else 401
        for path in ("/imports/grids", "/imports/assignments"):
            answer = await upload(world.client, path, xlsx(TREE), headers, commit=True)
            assert answer.status_code == expected, (role, answer.text)
        assert (await world.client.get("/imports/grids/template", headers=headers)).status_code == expected
    assert await world.grids() == {}
