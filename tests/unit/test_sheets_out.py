"""shared.sheets_out as the person opening the file sees it: Excel's own reader (openpyxl) and Python's csv module
find the headings in the caller's language, Beijing times, yuan with two decimals, and no formula anywhere."""

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from shared import sheets_out
from shared.sheets_out import Column, SheetFormat

COLUMNS = [
    Column("名称", "Name", width=20),
    Column("金额（元）", "Amount (yuan)", "money"),
    Column("时间", "Time", "datetime"),
    Column("日期", "Day", "date"),
    Column("数量", "Count", "int"),
    Column("是否紧急", "Urgent", "bool"),
]
AT = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Beijing
ATTACKS = ['=HYPERLINK("http://evil.example","点我")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


async def rows(*batches):
    for batch in batches:
        yield batch


async def export(fmt: SheetFormat, data: list[list], language="zh") -> bytes:
    response = await sheets_out.sheet_response(
        fmt,
        COLUMNS,
        rows(data[:1], data[1:]),
        language=language,
        title="测试导出",
        filename="测试导出-2026",
        ascii_filename="test-2026",
    )
    body = b"".join([chunk async for chunk in response.body_iterator])
    assert int(response.headers["content-length"]) == len(body)
    assert response.headers["cache-control"] == "no-store"
    return response, body


async def test_a_workbook_has_chinese_headings_a_frozen_row_beijing_times_and_yuan():
    response, body = await export(SheetFormat.xlsx, [["韶山乡", 123456, AT, date(2026, 3, 2), 7, True]])
    assert response.media_type == sheets_out.XLSX_MEDIA_TYPE
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="test-2026.xlsx"') and "filename*=UTF-8''" in disposition
    assert "%E6%B5%8B%E8%AF%95" in disposition  # 测试
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert [cell.value for cell in sheet[1]] == [column.zh for column in COLUMNS]
    assert sheet.freeze_panes == "A2"
    name, money, at, day, count, urgent = (cell for cell in sheet[2])
    assert name.value == "韶山乡"
    assert money.value == pytest.approx(1234.56) and money.number_format == "#,##0.00"
    assert at.value == datetime(2026, 3, 2, 0, 30) and at.is_date
    assert day.value == datetime(2026, 3, 2) and day.is_date
    assert count.value == 7 and urgent.value == "是"
    assert sheet.column_dimensions["A"].width >= 20


async def test_english_headings_when_english_is_preferred():
    _, body = await export(SheetFormat.xlsx, [["x", 0, None, None, 0, False]], language="en")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert [cell.value for cell in sheet[1]] == [column.en for column in COLUMNS]
    assert sheet["F2"].value == "no" and sheet["C2"].value is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr, en;q=0.5", "en"),
        ("zh;q=0.5, en;q=0.6", "en"),
        ("en;q=0", "zh"),
        ("fr", "zh"),
        ("not a language;;;q=x", "zh"),
    ],
)
def test_the_language_follows_accept_language(header, expected):
    assert sheets_out.language(header) == expected


async def test_formulas_in_text_are_neutralised_in_both_formats():
    data = [[attack, 100, AT, None, 1, False] for attack in ATTACKS]
    _, book = await export(SheetFormat.xlsx, data)
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # (openpyxl leaves a carriage return in OOXML's escaped form, _x000D_, where Excel shows the character)
    assert [cell.value.replace("_x000D_", "\r") for cell in cells] == ["'" + attack for attack in ATTACKS]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    _, text = await export(SheetFormat.csv, data)
    parsed = list(csv.reader(io.StringIO(text.decode("utf-8-sig"), newline="")))
    assert [row[0] for row in parsed[1:]] == ["'" + attack for attack in ATTACKS]
    assert not any(row[0][:1] in "=+-@\t\r" for row in parsed[1:])


async def test_csv_is_utf8_with_a_bom_and_the_same_values_as_text():
    response, body = await export(SheetFormat.csv, [["韶阳村第1组", 5, AT, date(2026, 3, 2), 3, True]])
    assert response.media_type.startswith("text/csv") and "charset=utf-8" in response.media_type
    assert body.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert parsed == [
        [column.zh for column in COLUMNS],
        ["韶阳村第1组", "0.05", "2026-03-02 00:30", "2026-03-02", "3", "是"],
    ]


async def test_a_long_export_spills_to_disk_and_streams_in_pieces(monkeypatch):
    monkeypatch.setattr(sheets_out, "SPOOL_BYTES", 64 * 1024)
    data = [[f"第{index}行 " + "说" * 40, index, AT, None, index, False] for index in range(5000)]
    source, size = await sheets_out.write_sheet(
        SheetFormat.xlsx, COLUMNS, rows(*(data[i : i + 500] for i in range(0, 5000, 500))), language="zh", title="t"
    )
    try:
        assert source._rolled  # on disk, not in memory
        assert size > 64 * 1024
        sheet = openpyxl.load_workbook(source, read_only=True).active
        assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 5000
    finally:
        source.close()
