"""The spreadsheet readers without a service: cells as Excel keeps them, headings in either language, the text
encodings Excel in China saves, and the refusals that name a cell or a limit."""

import io
from datetime import date, datetime

import pytest

from shared.sheet_cells import CellError, Column, Sheet, boolean, choice, choices, code, day, heading_key, integer
from shared.sheet_words import language_of
from shared.sheets_in import SheetRefused, Upload, read_table
from tests.integration.sheets import csv_bytes, xlsx

SHEET = Sheet(
    "things", "东西", "Things", (Column("code", "编码", "code", required=True), Column("name", "名称", "name"))
)


def _upload(content: bytes) -> Upload:
    return Upload("x", io.BytesIO(content), len(content), "0" * 64)


def test_cells_are_read_as_excel_keeps_them() -> None:
    assert code(430382001.0) == "430382001" and code(" T1 ") == "T1"
    assert integer("1,234") == 1234 and integer(12.0) == 12
    for value in ("2026-01-05", "2026/1/5", "2026.1.5", "2026年1月5日", datetime(2026, 1, 5, 0, 0), date(2026, 1, 5)):
        assert day(value) == date(2026, 1, 5)
    assert [boolean(v) for v in ("是", "否", "Y", 1, "√", None)] == [True, False, True, True, True, None]
    levels = choices({"township": ("乡镇",), "group": ("组", "村小组")})
    assert choice("村小组", levels, ()) == "group" and choice("Township", levels, ()) == "township"
    for reader, value in ((code, "T 1"), (integer, 1.5), (integer, True), (day, "2026-02-30"), (boolean, "也许")):
        with pytest.raises(CellError):
            reader(value)
    assert heading_key("  编码（必填）* ") == heading_key("编码") and heading_key("Parent Code") == "parentcode"
    assert language_of("en-GB,en;q=0.9") == "en" and language_of("zh-CN,en") == "zh-CN" and language_of(None) == "zh-CN"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_saves_reads_the_same(encoding: str) -> None:
    table = read_table(
        _upload(csv_bytes([["标题：东西清单"], ["编码", "名称", "备注"], ["T1", "韶山乡", "x"]], encoding)),
        SHEET,
        "zh-CN",
    )
    assert (table.encoding, table.ignored) == (encoding if encoding != "utf-16" else "utf-16", ["备注"])
    assert [(row.number, row.values) for row in table.rows] == [(3, {"code": "T1", "name": "韶山乡"})]


def test_an_xlsx_is_read_under_english_headings_and_refused_for_a_formula_naming_the_cell() -> None:
    table = read_table(_upload(xlsx([["name", "code"], ["韶山乡", "T1"], [None, None], ["杨林乡", 2]])), SHEET, "en")
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"name": "韶山乡", "code": "T1"}),
        (4, {"name": "杨林乡", "code": 2}),
    ]
    with pytest.raises(SheetRefused) as refused:
        read_table(_upload(xlsx([["编码", "名称"], ["T1", '=UPPER("a")']])), SHEET, "en")
    assert refused.value.rule == "formula" and refused.value.extra["cells"] == ["B2"]
    assert refused.value.detail.startswith("Cell B2 holds a formula")


def test_bytes_that_decode_as_neither_utf8_nor_gb18030_are_no_spreadsheet() -> None:
    with pytest.raises(SheetRefused) as refused:
        read_table(_upload(b"\x80\xff\x00\x01" * 100), SHEET, "zh-CN")
    assert (refused.value.status, refused.value.rule) == (415, "not_spreadsheet")
    with pytest.raises(SheetRefused) as refused:
        read_table(_upload(b"abc,def\n"), SHEET, "zh-CN")
    assert refused.value.rule == "no_header"
