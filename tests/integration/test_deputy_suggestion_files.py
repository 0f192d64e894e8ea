"""Deputies' suggestions for the file, through the deputy service on a real database and bus: the year's
suggestions and their answers as a spreadsheet for the NPC office (XLSX read back with openpyxl, and CSV), and a
suggestion with its answers as a PDF (its text read back with pypdfium2) for the office, its deputies and its lead
organisation's officers; every other caller is refused, whether or not the suggestion is public."""

import csv
import io

import openpyxl
import pypdfium2

from services.deputy.views.suggestion_exports import SUGGESTION_COLUMNS
from shared.auth import Role
from tests.integration import test_deputy_suggestions
from tests.integration.test_deputy_suggestions import Hall, local

hall = test_deputy_suggestions.hall  # the deputy service on a moved clock (2 March 2026), as the workflow test's

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


async def handled(hall: Hall) -> tuple[str, str, str, str]:
    """A suggestion answered in class planned and rated satisfied (its second co-signed), and one only
    submitted; the lead's and the other deputy's ids."""
    lead_id, cosigner_id, other_id = [await hall.register(code) for code in ("F1", "F2", "F3")]
    lead, cosigner = hall.deputy(lead_id), hall.deputy(cosigner_id)
    water, roads = hall.officer("water-bureau"), hall.officer("roads-bureau")
    sid = (await hall.draft(lead, cosigner_ids=[cosigner_id]))["id"]
    await hall.act(sid, "sign", cosigner)
    await hall.act(sid, "submit", lead)
    await hall.act(sid, "accept", hall.office)
    await hall.act(
        sid, "assign", hall.office, {"lead_organisation": "water-bureau", "co_organisations": ["roads-bureau"]}
    )
    hall.runtime.clock.current = local(2026, 3, 20, 10)
    await hall.act(sid, "opinion", roads, {"text": "同意，配合选址"})
    answer = {"answer_class": "planned", "text": "纳入年度计划，请拨 13812345678", "measures": "分批建设"}
    await hall.act(sid, "answer", water, {**answer, "promised_on": "2026-09-30"})
    await hall.act(sid, "contact", lead, {"method": "phone", "on": "2026-03-18"})
    await hall.act(sid, "rate", lead, {"rating": "satisfied"})
    waiting = (await hall.draft(hall.deputy(other_id), title="村道照明"))["id"]
    await hall.act(waiting, "submit", hall.deputy(other_id))
    return sid, waiting, lead_id, other_id


async def test_the_office_exports_the_years_suggestions_with_their_answers_and_nobody_else_does(hall):
    sid, waiting, _, other_id = await handled(hall)
    path = "/exports/suggestions"
    answer = await hall.client.get(path, params={"year": 2026}, headers=hall.office)
    assert answer.status_code == 200 and answer.headers["content-type"] == XLSX
    assert "attachment" in answer.headers["content-disposition"]
    rows = [
        [cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(answer.content)).active.iter_rows()
    ]
    assert rows[0] == [column.zh for column in SUGGESTION_COLUMNS]
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {sid, waiting}
    done = by_id[sid]
    assert (done["标题"], done["状态"], done["主办单位"], done["协办单位"]) == (
        "老旧小区加装充电桩",
        "列入计划",
        "water-bureau",
        "roads-bureau",
    )
    assert (done["答复类别"], done["代表评价"], done["按期答复"], done["办理轮次"]) == ("列入计划", "满意", "是", 1)
    assert (by_id[waiting]["状态"], by_id[waiting]["答复类别"]) == ("待审查", None)
    english = await hall.client.get(
        path, params={"year": 2026, "format": "csv"}, headers={**hall.office, "Accept-Language": "en"}
    )
    assert english.status_code == 200 and english.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Id", "Title", "Kind"] and len(table) == 3
    assert (await hall.client.get(path, params={"year": 2025}, headers=hall.office)).status_code == 200
    for name, headers in {
        "lead deputy": hall.deputy(other_id),
        "lead organisation": hall.officer("water-bureau"),
        "villager": hall.keys.headers(Role.villager),
        "finance": hall.keys.headers(Role.finance),
        "staff": hall.keys.headers(Role.station_staff),
    }.items():
        assert (await hall.client.get(path, params={"year": 2026}, headers=headers)).status_code == 403, name
    assert (await hall.client.get(path, params={"year": 2026})).status_code == 401


async def test_a_suggestion_with_its_answers_is_a_pdf_for_the_office_its_deputies_and_its_lead_organisation(hall):
    sid, _, lead_id, other_id = await handled(hall)
    path = f"/suggestions/{sid}/document.pdf"
    for name, headers in {
        "office": hall.office,
        "lead deputy": hall.deputy(lead_id),
        "lead organisation": hall.officer("water-bureau"),
    }.items():
        answer = await hall.client.get(path, headers=headers)
        assert answer.status_code == 200, (name, answer.text)
        assert answer.headers["content-type"] == "application/pdf"
        text = pdf_text(answer.content)
        for words in (
            "老旧小区加装充电桩",
            "电动车在楼道充电",
            "统一建设充电桩",
            "water-bureau",
            "列入计划",
            "满意",
            "代表F1",
        ):
            assert words in text, (name, words)
        assert "13812345678" not in text  # a number in an answer is masked on paper
    assert "public" in (await hall.client.get(f"/suggestions/{sid}")).json()  # it is public, yet not for anyone's file
    for name, headers in {
        "another deputy": hall.deputy(other_id),
        "co-organisation": hall.officer("roads-bureau"),
        "another organisation": hall.officer("health-bureau"),
        "villager": hall.keys.headers(Role.villager),
        "finance": hall.keys.headers(Role.finance),
        "staff": hall.keys.headers(Role.station_staff),
    }.items():
        assert (await hall.client.get(path, headers=headers)).status_code == 403, name
    assert (await hall.client.get(path)).status_code == 401
    missing = await hall.client.get(
        "/suggestions/00000000-0000-4000-8000-000000000000/document.pdf", headers=hall.office
    )
    assert missing.status_code == 404
