"""Printed documents as a reader, a printer and a stranger meet them: each is a real PDF whose text holds the
Chinese names it is about (read back with PDFium), whose first page renders, and whose QR code decodes to the
link for its group or project; the duty report is refused to strangers; OpenAPI says application/pdf.

The rendered first pages are kept in /tmp/documents/ to be looked at."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nats
import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import func, select

from services.deputy.models import DutyRecord, KnownAssignment
from services.station_scheduling.models import KnownAssignment as StationAssignment
from shared.auth import Role
from shared.clock import MovableClock
from shared.messaging.catalogue import (
    AssignmentStarted,
    CaseAccepted,
    CaseResolved,
    DeputyRegistered,
    DisputeMediated,
    GridCreated,
    ProjectSubmitted,
    SessionHeld,
)
from tests.integration.test_deputy_service import World as DeputyWorld
from tests.integration.test_deputy_service import case_step
from tests.integration.test_funding_support import create_draft, create_pool, start_funding, to_notice
from tests.integration.test_station_support import START, WEEKDAYS, publish
from tests.support import eventually, start_service

PDF = "application/pdf"
PAGES = Path("/tmp/documents")
YEAR = datetime.now(UTC).year


def read(content: bytes, name: str) -> tuple[str, list[str], int]:
    """The PDF's text, the links its first page's QR codes carry, and its page count; the first page is saved
    as /tmp/documents/<name>.png (and the second, if any, as <name>-2.png)."""
    assert content.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(content)
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
        image = document[0].render(scale=2.5).to_pil()
        PAGES.mkdir(parents=True, exist_ok=True)
        image.save(PAGES / f"{name}.png")
        if len(document) > 1:
            document[1].render(scale=1.5).to_pil().save(PAGES / f"{name}-2.png")
        return text, [found.text for found in zxingcpp.read_barcodes(image)], len(document)
    finally:
        document.close()


def page_texts(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def qr_of(content: bytes, page: int) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    try:
        return [found.text for found in zxingcpp.read_barcodes(document[page].render(scale=2.5).to_pil())]
    finally:
        document.close()


def declares_pdf(app, path: str) -> bool:  # type: ignore[no-untyped-def]
    operation = app.openapi()["paths"][path]["get"]
    return PDF in operation["responses"]["200"]["content"]


# ---------------------------------------------------------------- the duty report


@pytest.fixture
async def duty(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        yield DeputyWorld(grid, deputy, keys, nats_server.url)


async def _assigned(world: DeputyWorld, count: int) -> bool:
    async with world.deputy.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(KnownAssignment))).scalar_one() == count


async def _recorded(world: DeputyWorld, count: int) -> bool:
    async with world.deputy.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(DutyRecord))).scalar_one() >= count


async def test_a_deputys_duty_report_and_a_townships_file(duty):
    world = duty
    city = await world.city()
    group, other_group = city["T1V1G1"]["id"], city["T1V1G2"]["id"]
    body = {"level": "township", "district": "韶山乡第3选区", "organisation": "韶阳村村民委员会"}
    mao = await world.post(world.deputy, "/deputies", {"code": "D9001", "name": "毛春华", **body})
    li = await world.post(world.deputy, "/deputies", {"code": "D9002", "name": "李桂兰", **body})
    far = await world.post(world.deputy, "/deputies", {"code": "D9003", "name": "周远山", **body})
    for deputy_id, grid_id, role in ((mao["id"], group, "grid_head"), (li["id"], other_group, "member")):
        assignment = {"grid_id": grid_id, "deputy_id": deputy_id, "role": role, "starts_on": f"{YEAR}-01-01"}
        await world.post(world.grid, "/assignments", assignment)
    await world.post(
        world.grid,
        "/assignments",
        {"grid_id": city["T2V1G1"]["id"], "deputy_id": far["id"], "starts_on": f"{YEAR}-01-01"},
    )
    await eventually(lambda: _assigned(world, 3))

    now = datetime.now(UTC) - timedelta(minutes=30)
    case, dispute = str(uuid.uuid4()), str(uuid.uuid4())
    await world.publish(
        case_step(CaseAccepted, case, group, [mao["id"]], at=now),
        case_step(CaseResolved, case, group, [mao["id"]], from_status="accepted", to_status="resolved", at=now),
        DisputeMediated(case_id=dispute, grid_id=group, mediator_deputy_ids=[mao["id"]], agreement_reached=True,
                        at=now),
        SessionHeld(session_id=str(uuid.uuid4()), station_id=str(uuid.uuid4()), starts_at=now,
                    deputy_ids=[mao["id"]], at=now),
        ProjectSubmitted(
            project_id=str(uuid.uuid4()), pool_id=str(uuid.uuid4()), kind="goods", title="韶阳村路灯改造",
            deputy_ids=[mao["id"]], grid_ids=[group], village_ids=[city["T1V1"]["id"]], case_ids=[case],
            budget="12000.00", from_status="draft", to_status="submitted", at=now,
        ),
    )  # fmt: skip
    mine = world.as_deputy(mao["id"])
    entry = {"kind": "inspection", "occurred_at": now.isoformat(), "summary": "视察韶阳村饮水工程，联系电话13912345678"}
    await world.post(world.deputy, f"/deputies/{mao['id']}/record", entry, mine)
    pair = {"household": "王秀英户", "need": "独居老人", "grid_id": group, "starts_on": f"{YEAR}-02-01"}
    pair = await world.post(world.deputy, f"/deputies/{mao['id']}/support-pairs", pair, mine)
    visit = {"occurred_at": now.isoformat(), "summary": "看望王秀英，送去米油"}
    await world.post(world.deputy, f"/support-pairs/{pair['id']}/visits", visit, mine)
    await eventually(lambda: _recorded(world, 7))

    path = f"/deputies/{mao['id']}/duty-report.pdf"
    answer = await world.deputy.client.get(path, params={"year": YEAR}, headers=mine)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == PDF and answer.headers["cache-control"] == "private, no-store"
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    text, _, _ = read(answer.content, "duty-report")
    for words in (
        f"毛春华代表{YEAR}年度履职报告",
        "韶山乡第3选区",
        "韶山乡 / 韶阳村 / 韶阳村第1组",
        "网格长",
        "受理群众反映",
        "办结群众反映",
        "用水",
        "调解协议达成",
        "联络站接待",
        "韶阳村路灯改造",
        "视察韶阳村饮水工程",
        "已完成 4 项",
        "帮扶一户困难家庭",
        "结对帮扶",
    ):
        assert words in text.replace("\r", ""), words
    assert "王秀英" not in text and "13912345678" not in text  # no household's name, no phone number
    assert (await world.deputy.client.get(path, headers=world.office)).status_code == 200  # this year by default

    for stranger in (world.as_deputy(li["id"]), world.keys.headers(Role.villager), world.staff):
        assert (await world.deputy.client.get(path, headers=stranger)).status_code == 403
    refused = await world.deputy.client.get(path)
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"

    township = f"/townships/{city['T1']['id']}/duty-reports.pdf"
    answer = await world.deputy.client.get(township, params={"year": YEAR}, headers=world.office)
    assert answer.status_code == 200, answer.text
    text, _, pages = read(answer.content, "township-duty-reports")
    assert text.index("毛春华代表") < text.index("李桂兰代表") and "周远山" not in text  # code order; T2's absent
    assert pages >= 2
    current = ""
    for page in page_texts(answer.content):  # each page's footer names the deputy whose report it is
        current = next((name for name in ("毛春华", "李桂兰") if f"{name}代表{YEAR}年度履职报告" in page), current)
        assert f"{current} · 打印于" in page
    assert (await world.deputy.client.get(township, headers=mine)).status_code == 403
    village = f"/townships/{city['T1V1']['id']}/duty-reports.pdf"
    assert (await world.deputy.client.get(village, headers=world.office)).status_code == 422
    unknown = f"/townships/{uuid.uuid4()}/duty-reports.pdf"
    assert (await world.deputy.client.get(unknown, headers=world.office)).status_code == 404
    app = world.deputy.app
    assert declares_pdf(app, "/deputies/{deputy_id}/duty-report.pdf")
    assert declares_pdf(app, "/townships/{township_id}/duty-reports.pdf")


# ---------------------------------------------------------------- the micro-project's notice


async def test_a_public_projects_notice_with_its_qr_code(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        f = await start_funding(stack, nats_server, databases, keys)
        pool = await create_pool(f)
        draft = await create_draft(f, pool["id"])
        path = f"/public/projects/{draft['id']}/notice.pdf"
        assert (await f.client.get(path)).status_code == 404  # a draft is nobody's business yet
        await to_notice(f, draft["id"], days=7)
        answer = await f.client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"] == PDF
        text, links, pages = read(answer.content, "project-notice")
        assert pages == 1  # one sheet for the village board
        public_url = f.service.runtime.settings.public_url
        assert links == [f"{public_url}/project/{draft['id']}"]
        for words in (
            "民生微实事项目公示",
            "老旧小区充电桩",
            "韶阳村",
            "充电桩及安装",
            "¥10,000.00",
            "公示期",
            "安装完成",
        ):
            assert words in text, words
        assert "回应的群众反映（共 1 件）" in text and "第1组" in text and "安装完成" in text
        assert declares_pdf(f.service.app, "/public/projects/{project_id}/notice.pdf")
        assert (await f.client.get(f"/public/projects/{uuid.uuid4()}/notice.pdf")).status_code == 404


# ---------------------------------------------------------------- the station's notice and posters


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "documents:" + name))


GRIDS = [
    ("T1", "韶山乡", "township", None),
    ("V1", "韶阳村", "village", "T1"),
    ("G1", "韶阳村第1组", "group", "V1"),
    ("G2", "韶阳村第2组", "group", "V1"),
    ("G3", "韶阳村第3组", "group", "V1"),
]
DEPUTIES = [("D1", "毛春华", "G1"), ("D2", "李桂兰", "G1"), ("D3", "周远山", "G2"), ("D4", "彭德明", "V1")]


async def _station_city_known(service) -> bool:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as db:
        return (await db.execute(select(func.count()).select_from(StationAssignment))).scalar_one() == len(DEPUTIES)


async def test_a_sessions_notice_and_the_groups_qr_posters(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        settings = databases.settings(
            "station_scheduling", nats_server.url, keys.public, public_url="https://deputies.example.gov.cn"
        )
        service = await start_service(stack, "station_scheduling", settings)
        service.runtime.clock = MovableClock(START)
        nc = await nats.connect(nats_server.url)
        stack.push_async_callback(nc.close)
        for code, name, level, parent in GRIDS:
            grid = GridCreated(
                grid_id=_id(code), code=code, name=name, level=level, parent_id=_id(parent) if parent else None
            )
            await publish(nc, grid, "/grid")
        for code, name, grid in DEPUTIES:
            deputy = DeputyRegistered(
                deputy_id=_id(code), code=code, name=name, level="township", district="第1选区", council_member=False
            )
            await publish(nc, deputy, "/deputy")
            assignment = AssignmentStarted(
                assignment_id=str(uuid.uuid4()), grid_id=_id(grid), deputy_id=_id(code), role="member",
                basis="electoral_district", starts_on=date(2026, 1, 1),
            )  # fmt: skip
            await publish(nc, assignment, "/grid")
        await eventually(lambda: _station_city_known(service))
        staff = keys.headers(Role.station_staff)
        station = {
            "code": "T1-S", "name": "韶山乡人大代表联络站", "tier": "township", "township_grid_id": _id("T1"),
            "address": "韶山乡政府大院一楼", "opening_hours": "周一至周五 08:30-17:30", "hours": WEEKDAYS,
        }  # fmt: skip
        answer = await service.client.post("/stations", json=station, headers=staff)
        assert answer.status_code == 201, answer.text
        session = {
            "station_id": answer.json()["id"], "starts_at": "2026-03-09T09:00:00+08:00",
            "ends_at": "2026-03-09T11:00:00+08:00", "capacity": 20, "topic": "饮水安全与村道维修",
            "deputy_ids": [_id("D1"), _id("D2")], "agency_staff": [{"organisation": "韶山市水利局", "role": "副局长"}],
        }  # fmt: skip
        answer = await service.client.post("/sessions", json=session, headers=staff)
        assert answer.status_code == 201, answer.text
        session_id = answer.json()["id"]

        answer = await service.client.get(f"/sessions/{session_id}/notice.pdf")  # anyone: sessions are public
        assert answer.status_code == 200 and answer.headers["content-type"] == PDF
        text, links, _ = read(answer.content, "session-notice")
        for words in (
            "人大代表接待日公告",
            "韶山乡人大代表联络站",
            "2026年3月9日（星期一）09:00–11:00",
            "毛春华",
            "李桂兰",
        ):
            assert words in text, words
        assert "李桂兰" in text and "韶山市水利局" in text and "饮水安全与村道维修" in text
        assert links == ["https://deputies.example.gov.cn/book"]

        answer = await service.client.get(f"/grids/{_id('G1')}/posters.pdf")
        assert answer.status_code == 200 and answer.headers["content-type"] == PDF
        text, links, pages = read(answer.content, "group-poster")
        assert links == [f"https://deputies.example.gov.cn/file?grid={_id('G1')}"] and pages == 1
        for words in (
            "扫码反映问题",
            "韶山乡 韶阳村 韶阳村第1组",
            "毛春华、李桂兰",
            "韶山乡人大代表联络站",
            "每周一至周五 08:30–17:30",
        ):
            assert words in text, words
        assert "2026年3月9日" in text  # the next session
        assert "周远山" not in text  # another group's deputy

        village = await service.client.get(f"/grids/{_id('V1')}/posters.pdf")
        text, _, pages = read(village.content, "village-posters")
        assert pages == 3
        for page, group in enumerate(("G1", "G2", "G3")):
            assert qr_of(village.content, page) == [f"https://deputies.example.gov.cn/file?grid={_id(group)}"]
        assert "本村人大代表" in text and "彭德明" in text  # the third group has no deputy: its village's
        assert (await service.client.get(f"/grids/{uuid.uuid4()}/posters.pdf")).status_code == 404
        assert declares_pdf(service.app, "/grids/{grid_id}/posters.pdf")
        assert declares_pdf(service.app, "/sessions/{session_id}/notice.pdf")
