"""Spreadsheets out: the one way every service writes an export as XLSX or CSV.

A county office lives in Excel, so every list it prints or forwards can be had as a workbook or a CSV file. One
writer serves them all, so that they look and behave alike:

- Headings in Chinese, or English when the caller's Accept-Language prefers it (`language`).
- XLSX: a bold, frozen heading row with a filter, column widths set per column; dates and times in Beijing time
  (`shared.clock.CHINA`) as real Excel dates; money as numbers of yuan with two decimals (`#,##0.00`); counts as
  numbers; text always as text (never a formula).
- CSV: UTF-8 with a byte order mark (Excel in China opens it as UTF-8 only with one), CRLF lines, the same
  columns, dates as `YYYY-MM-DD HH:MM` Beijing time and money as `1234.50`.
- Formula and CSV injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
  prefixed with an apostrophe (`neutralise`), so that neither Excel nor a later CSV round trip runs it.
- Bounded memory: rows arrive in batches from the caller's query (`write_sheet`), XLSX is written in xlsxwriter's
  constant-memory mode (each row flushed, strings inline) and both formats go to a spooled temporary file that
  moves to disk past a few MB; the answer streams that file (`sheet_response`). The CPU work of each batch runs in
  a worker thread, so a long export does not stall the service's other requests.

A service declares the columns (`Column`), gets the rows in batches from a query of its own (the same
authorisation and masking as the list on screen: this module knows nothing of who may see what) and returns
`await sheet_response(...)`. Routes declare `SHEET_RESPONSES` so that the OpenAPI document names both media types.
"""

import asyncio
import csv
import io
import re
import tempfile
from collections.abc import AsyncIterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import i18n
from shared.clock import CHINA
from shared.i18n import Language

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"
SPOOL_BYTES = 4 * 1024 * 1024
"""An export up to this size stays in memory; a larger one is written to a temporary file."""
CHUNK_BYTES = 64 * 1024
BATCH_ROWS = 500
"""How many rows a service reads from its database at a time for an export."""

Kind = Literal["text", "int", "money", "datetime", "date", "bool", "percent"]


class SheetFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


FormatQuery = Annotated[
    SheetFormat, Query(alias="format", description="xlsx (Excel workbook) or csv (UTF-8 with a byte order mark)")
]
AcceptLanguageHeader = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        description="Headings in English when English is preferred to Chinese; Chinese otherwise",
    ),
]

SHEET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A spreadsheet: an Excel workbook, or CSV (UTF-8 with a byte order mark)",
        "content": {
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
        },
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file's name (an ASCII one and a UTF-8 one)",
                "schema": {"type": "string"},
            }
        },
    }
}
"""The success answer of an export route, for `responses={**SHEET_RESPONSES, **responses(...)}`."""


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading in both languages, what its values are, how wide it is (in Excel's
    characters; a Chinese character counts two)."""

    zh: str
    en: str
    kind: Kind = "text"
    width: int = 14

    def heading(self, language: Language) -> str:
        return self.en if language == "en" else self.zh


# --- the caller's language -----------------------------------------------------------------------------------

language = i18n.language
"""Chinese unless Accept-Language prefers English (the one parser, in shared.i18n)."""


def words(language: Language, zh: str, en: str) -> str:
    """One of two wordings (a value's label, a file's name) by the export's language."""
    return en if language == "en" else zh


# --- cells ---------------------------------------------------------------------------------------------------

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text as a cell that no spreadsheet runs: a leading `= + - @`, tab or CR gets an apostrophe in front.

    (OWASP's advice for CSV injection; the apostrophe is what Excel itself shows for "text, not a formula".)"""
    return "'" + text if text.startswith(_DANGEROUS_START) else text


def _china(value: datetime) -> datetime:
    """An instant as Beijing wall-clock time without a zone (what a spreadsheet cell holds)."""
    if value.tzinfo is None:  # a naive instant is UTC (shared.db.UtcDateTime's rule)
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).replace(tzinfo=None)


def _yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _text(value: Any, language: Language) -> str:
    if isinstance(value, bool):
        return words(language, "是", "yes") if value else words(language, "否", "no")
    return neutralise(str(value))


def csv_value(value: Any, kind: Kind, language: Language) -> str:
    """A value as CSV text: dates in Beijing time, money in yuan with two decimals, text neutralised."""
    if value is None:
        return ""
    if kind == "money":
        return str(_yuan(value))
    if kind == "datetime" and isinstance(value, datetime):
        return _china(value).strftime("%Y-%m-%d %H:%M")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "percent" and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if kind in ("int", "bool") and not isinstance(value, str):
        return _text(value, language) if isinstance(value, bool) else str(value)
    return _text(value, language)


# --- writers -------------------------------------------------------------------------------------------------


class _CsvWriter:
    """Rows of one sheet into `target` (a binary file) as CSV; `close()` finishes the file."""

    def __init__(self, target: Any, columns: Sequence[Column], language: Language, title: str) -> None:
        self.target, self.columns, self.language, self.rows = target, columns, language, 0
        target.write("\ufeff".encode())
        self.write([[column.heading(language) for column in columns]], heading=True)

    def write(self, rows: Sequence[Sequence[Any]], heading: bool = False) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for row in rows:
            if heading:
                writer.writerow([neutralise(str(value)) for value in row])
            else:
                pairs = zip(row, self.columns, strict=True)
                writer.writerow([csv_value(value, column.kind, self.language) for value, column in pairs])
                self.rows += 1
        self.target.write(buffer.getvalue().encode("utf-8"))

    def close(self) -> None:
        self.target.flush()


def _display_width(text: str) -> int:
    """Columns a heading takes in Excel: two for a wide (CJK) character, one for others."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


_SHEET_NAME_UNSAFE = re.compile(r"[\[\]:*?/\\]")


class _XlsxWriter:
    """Rows of one sheet into `target` (a binary file) as an Excel workbook; `close()` finishes the file."""

    def __init__(self, target: Any, columns: Sequence[Column], language: Language, title: str) -> None:
        import xlsxwriter  # imported on first use: most processes never write a workbook

        self.target, self.columns, self.language, self.rows = target, columns, language, 0
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,  # each row flushed to a temporary file; strings inline, not shared
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": "yyyy-mm-dd",
            },
        )
        self.book.set_properties({"title": title, "comments": "deputies-in-the-grid"})
        self.sheet = self.book.add_worksheet(_SHEET_NAME_UNSAFE.sub(" ", title)[:31] or "Sheet1")
        heading = self.book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
        self.formats = {
            "money": self.book.add_format({"num_format": "#,##0.00"}),
            "datetime": self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "date": self.book.add_format({"num_format": "yyyy-mm-dd"}),
            "percent": self.book.add_format({"num_format": "0.0%"}),
            "int": self.book.add_format({"num_format": "0"}),
        }
        for index, column in enumerate(columns):
            width = max(column.width, _display_width(column.heading(language)) + 2)
            self.sheet.set_column(index, index, min(width, 80))
        self.sheet.freeze_panes(1, 0)
        self.sheet.set_row(0, 30)
        for index, column in enumerate(columns):
            self.sheet.write_string(0, index, neutralise(column.heading(language)), heading)
        self.sheet.autofilter(0, 0, 0, max(len(columns) - 1, 0))

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.rows += 1
            for index, (value, column) in enumerate(zip(row, self.columns, strict=True)):
                self._cell(self.rows, index, value, column.kind)

    def _cell(self, row: int, col: int, value: Any, kind: Kind) -> None:
        sheet = self.sheet
        if value is None:
            return
        if kind == "money" and isinstance(value, int):
            sheet.write_number(row, col, float(_yuan(value)), self.formats["money"])
        elif kind == "datetime" and isinstance(value, datetime):
            sheet.write_datetime(row, col, _china(value), self.formats["datetime"])
        elif kind == "date" and isinstance(value, date):
            sheet.write_datetime(row, col, value, self.formats["date"])
        elif kind == "percent" and isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, col, value, self.formats["percent"])
        elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            sheet.write_number(row, col, value, self.formats["int"])
        else:
            sheet.write_string(row, col, _text(value, self.language))

    def close(self) -> None:
        self.book.close()


def _writer(
    fmt: SheetFormat, target: Any, columns: Sequence[Column], language: Language, title: str
) -> _CsvWriter | _XlsxWriter:
    kind = _XlsxWriter if fmt is SheetFormat.xlsx else _CsvWriter
    return kind(target, columns, language, title)


async def write_sheet(
    fmt: SheetFormat,
    columns: Sequence[Column],
    batches: AsyncIterable[Sequence[Sequence[Any]]],
    *,
    language: Language,
    title: str,
) -> tuple[Any, int]:
    """Write the batches of rows (each row's values in the order of `columns`) into a spooled temporary file:
    (the file, rewound, and its size). The caller closes the file (`sheet_response` does)."""
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed on, closed by the answer
    try:
        writer = await asyncio.to_thread(_writer, fmt, target, columns, language, title)
        async for batch in batches:
            if batch:
                await asyncio.to_thread(writer.write, batch)
        await asyncio.to_thread(writer.close)
        size = target.seek(0, io.SEEK_END)
        target.seek(0)
        return target, size
    except BaseException:
        target.close()
        raise


def _chunks(source: Any) -> Iterator[bytes]:
    """The file in pieces, closed at the end (or when the client goes away)."""
    try:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk
    finally:
        source.close()


def content_disposition(name: str, fmt: SheetFormat, *, ascii_name: str) -> str:
    """`attachment` with an ASCII file name for old clients and the real (often Chinese) one as RFC 6266's
    filename*; characters a file name must not hold are replaced."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)[:120] or "export"
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name)[:120] or "export"
    return f"attachment; filename=\"{plain}.{fmt.value}\"; filename*=UTF-8''{quote(safe)}.{fmt.value}"


async def sheet_response(
    fmt: SheetFormat,
    columns: Sequence[Column],
    batches: AsyncIterable[Sequence[Sequence[Any]]],
    *,
    language: Language,
    title: str,
    filename: str,
    ascii_filename: str,
) -> StreamingResponse:
    """The export as an attachment: written whole first (so that a failure is still an error answer, and the
    request's database session is done before a byte is sent), then streamed from the spooled file.

    `filename` and `ascii_filename` are without the extension; the answer is never cached (it may hold personal
    data, and the same URL gives other rows tomorrow)."""
    source, size = await write_sheet(fmt, columns, batches, language=language, title=title)
    media_type = XLSX_MEDIA_TYPE if fmt is SheetFormat.xlsx else f"{CSV_MEDIA_TYPE}; charset=utf-8"
    headers = {
        "Content-Disposition": content_disposition(filename, fmt, ascii_name=ascii_filename),
        "Content-Length": str(size),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Language": "en" if language == "en" else "zh-CN",
    }
    return StreamingResponse(_chunks(source), media_type=media_type, headers=headers)


async def batched(rows: AsyncIterable[Sequence[Any]], size: int = BATCH_ROWS) -> AsyncIterable[list[Sequence[Any]]]:
    """Rows one by one, as batches for `write_sheet`."""
    batch: list[Sequence[Any]] = []
    async for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def stream_batches(
    session: AsyncSession, query: Select[Any], size: int = BATCH_ROWS, *, scalars: bool = True
) -> AsyncIterable[list[Any]]:
    """The rows of one query (one statement, so one consistent answer), `size` at a time: a server-side cursor
    on PostgreSQL, so a long list never sits in memory whole."""
    result = await session.stream(query.execution_options(yield_per=size))
    source = result.scalars() if scalars else result
    async for partition in source.partitions(size):
        yield list(partition)
