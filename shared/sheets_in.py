"""Spreadsheets people upload (XLSX and CSV), read once for every service's import.

An office keeps its grids, deputies and assignments in Excel; a service's import (`POST /imports/...`) takes the
file as it is and answers in the uploader's language (`zh-CN` or `en`). This module is the reading machinery:

- `receive`: the multipart body, spooled to a temporary file (on disk beyond 1 MB) while its SHA-256 is taken,
  cut off at `MAX_BYTES`: the file is never held whole in memory, and nothing else keeps a copy.
- `read_table`: the rows under the column headings a `Sheet` names (Chinese or English, as in the template),
  streamed: XLSX with openpyxl in read-only mode after its zip directory was checked (the uncompressed sizes,
  the number of members, the compression ratio: a zip bomb is refused before any of it is inflated; zipfile
  itself never inflates a member past the size its directory declares), CSV in UTF-8 (with or without BOM),
  UTF-16 or GB18030 (what Excel in China saves). A formula in a cell, more than `MAX_ROWS` rows, a file that is
  no spreadsheet: a `SheetRefused` (problem+json, 4xx) that names the cell or the limit, and nothing is stored.
- the columns a service reads and the readers of their cells: `shared.sheet_cells`.
- `template`: the XLSX an office fills in: the headings, text format for codes and phones, drop-down lists for
  the choices, and a second sheet that explains each column.

A service's import spells out its columns (`Sheet`, `Column`) and applies the rows through its own use cases
(`shared.imports`), so an import obeys exactly what the API obeys.
"""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile
from typing import IO, Any, Literal

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from shared.errors import ProblemError
from shared.sheet_cells import Column, Sheet, heading_key
from shared.sheet_words import FILE, Language, say

MAX_BYTES = 10 * 1024 * 1024
"""An uploaded file's size (the gateway takes bodies up to 12 MB): 2,000 rows of a sheet are well under 1 MB."""
MAX_ROWS = 2_000
"""Data rows of one file: a county's 414 deputies or 900 assignments fit twice over, and the slowest import (the
assignments, about 5 ms a row on SQLite: tests/bench/import_bench.py) ends well within the gateway's 15 s."""
MAX_COLUMNS = 60
MAX_CELL_CHARACTERS = 32_767
"""Excel's own limit for a cell."""
MAX_UNCOMPRESSED = 100 * 1024 * 1024
"""The sum of an XLSX's members once inflated, as its zip directory declares them."""
MAX_MEMBERS = 2_000
MAX_RATIO = 200
"""Inflated / compressed size of a member larger than 1 MB: a sheet's XML compresses 10 to 50 times."""
HEADER_SEARCH_ROWS = 10
"""The heading row may sit under a title or two: the first of these rows that names a required column."""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FORMAT_ROWS = 1_000
"""Rows of the template whose code and phone cells are formatted as text (leading zeros stay)."""
_SPOOL_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SheetRefused(ProblemError):
    """The file as a whole is refused: `refusal` names why (a stable code), `detail` says it in the user's
    language; `cells` lists the cells at fault (formulas)."""

    def __init__(self, refusal: str, language: Language, status: int = 422, **params: Any) -> None:
        cells = params.pop("cells", None)
        super().__init__(say(FILE, refusal, language, **params), rule=refusal, refusal=refusal, cells=cells)
        self.status = status
        self.slug = {413: "payload-too-large", 415: "unsupported-media-type"}.get(status, "validation-error")
        self.title = {413: "Request body too large", 415: "Unsupported media type"}.get(status, "The file is refused")


@dataclass
class Row:
    """A data row: its number in the spreadsheet (the heading row is above it) and its cells by column key
    (None for a blank cell; text stripped)."""

    number: int
    values: dict[str, Any]


@dataclass
class Table:
    """A file's rows under the sheet's columns; `headings` are the file's own words for them."""

    format: Literal["xlsx", "csv"]
    encoding: str | None
    headings: dict[str, str]
    ignored: list[str]
    rows: list[Row] = field(default_factory=list)


# --- receiving --------------------------------------------------------------------------------------------


@dataclass
class Upload:
    """A file of the request, spooled (in memory up to 1 MB, then on disk) with its size and SHA-256."""

    name: str
    file: IO[bytes]
    size: int
    sha256: str


async def _capped(stream: AsyncIterator[bytes], limit: int, language: Language) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise SheetRefused("too_large", language, 413, mb=MAX_BYTES // (1024 * 1024))
        yield chunk


def _spooled(upload: UploadFile) -> Upload:
    """Copy the parser's file into one of ours while hashing it (the parser's copy is closed right after)."""
    digest, size = hashlib.sha256(), 0
    target = SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - closed by the caller (close_all)
    upload.file.seek(0)
    while chunk := upload.file.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        target.write(chunk)
    target.seek(0)
    return Upload(upload.filename or "", target, size, digest.hexdigest())


async def receive(request: Request, language: Language, optional: tuple[str, ...] = ()) -> dict[str, Upload]:
    """The multipart body's field `file` (and the `optional` file fields sent), each at most `MAX_BYTES`.
    Close them with `close_all` once read."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
        raise SheetRefused("not_multipart", language, 415)
    limit = MAX_BYTES * (1 + len(optional)) + 64 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise SheetRefused("too_large", language, 413, mb=MAX_BYTES // (1024 * 1024))
    stream = _capped(request.stream(), limit, language)
    parser = MultiPartParser(request.headers, stream, max_files=1 + len(optional), max_fields=8)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise SheetRefused("bad_multipart", language, 422, why=error.message) from error
    uploads: dict[str, Upload] = {}
    try:
        for name in ("file", *optional):
            item = form.get(name)
            if isinstance(item, UploadFile):
                uploads[name] = _spooled(item)
    finally:
        await form.close()
    if "file" not in uploads:
        close_all(uploads)
        raise SheetRefused("no_file", language, 422)
    if any(upload.size > MAX_BYTES for upload in uploads.values()):
        close_all(uploads)
        raise SheetRefused("too_large", language, 413, mb=MAX_BYTES // (1024 * 1024))
    return uploads


def close_all(uploads: dict[str, Upload]) -> None:
    for upload in uploads.values():
        upload.file.close()


# --- reading ----------------------------------------------------------------------------------------------


def read_table(upload: Upload, sheet: Sheet, language: Language) -> Table:
    """The file's rows under `sheet`'s columns (XLSX or CSV, told by the content, not the name). Blocking:
    call it in a thread."""
    file = upload.file
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if upload.size == 0:
        raise SheetRefused("empty", language)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetRefused("xls", language, 415)
    if head.startswith(b"PK\x03\x04"):
        rows, table = _xlsx_rows(file, language), Table("xlsx", None, {}, [])
    else:
        encoding = _text_encoding(file, language)
        rows, table = _csv_rows(file, encoding, language), Table("csv", encoding, {}, [])
    try:
        return _headed(rows, sheet, language, table)
    finally:
        rows.close()  # a refusal midway: the reader lets go of the file now, not when collected


def _check_zip(archive: zipfile.ZipFile, language: Language) -> None:
    """Refuse a zip bomb from its directory alone, before anything is inflated."""
    members = archive.infolist()
    total = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or total > MAX_UNCOMPRESSED:
        raise SheetRefused("zip_bomb", language, mb=MAX_UNCOMPRESSED // (1024 * 1024))
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            raise SheetRefused("zip_bomb", language, mb=MAX_UNCOMPRESSED // (1024 * 1024))
        if member.flag_bits & 0x1:
            raise SheetRefused("encrypted", language)
    if "xl/workbook.xml" not in archive.namelist():
        raise SheetRefused("not_xlsx", language, 415)


def _xlsx_rows(file: IO[bytes], language: Language) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) of the first worksheet; formulas are collected and refused at the end."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only the import routes need it

    try:
        with zipfile.ZipFile(file) as archive:
            _check_zip(archive, language)
    except zipfile.BadZipFile as error:
        raise SheetRefused("not_spreadsheet", language, 415) from error
    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=False, keep_links=False)
    except SheetRefused:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetRefused("bad_xlsx", language, 422) from error
    formulas: list[str] = []
    try:
        if not workbook.worksheets:
            raise SheetRefused("empty", language)
        for cells in workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS):
            values, number = [], None
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(cell.coordinate)
                    values.append(None)
                    continue
                number = number or getattr(cell, "row", None)
                values.append(cell.value)
            if number is not None:
                yield number, values
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as error:
        raise SheetRefused("bad_xlsx", language, 422) from error
    finally:
        workbook.close()
    if formulas:
        raise SheetRefused("formula", language, cell=formulas[0], n=len(formulas), cells=formulas[:50])


def _text_encoding(file: IO[bytes], language: Language) -> str:
    """UTF-8 (BOM or not) when every byte decodes so, UTF-16 by its BOM, else GB18030; neither: not text."""
    head = file.read(4)
    file.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := file.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        finally:
            file.seek(0)
    raise SheetRefused("not_spreadsheet", language, 415)


def _csv_rows(file: IO[bytes], encoding: str, language: Language) -> Iterator[tuple[int, list[Any]]]:
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        if _CONTROL.search(text.read(_CHUNK)):
            raise SheetRefused("not_spreadsheet", language, 415)
        text.seek(0)
        first = text.readline()
        text.seek(0)
        delimiter = "\t" if "\t" in first and "," not in first else ","
        try:
            for number, record in enumerate(csv.reader(text, delimiter=delimiter), start=1):
                yield number, record[:MAX_COLUMNS]
        except csv.Error as error:  # a NUL byte, a cell past the csv module's field limit
            raise SheetRefused("not_spreadsheet", language, 415) from error
    finally:
        text.detach()


def _cell(value: Any, coordinate: str, language: Language) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARACTERS:
            raise SheetRefused("cell_too_long", language, cell=coordinate)
        value = value.strip()
        return value or None
    return value


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _headed(rows: Iterator[tuple[int, list[Any]]], sheet: Sheet, language: Language, table: Table) -> Table:
    """Find the heading row, then keep the non-blank rows below it under the sheet's column keys."""
    by_name = {name: column for column in sheet.columns for name in column.names()}
    required = {column.key for column in sheet.columns if column.required}
    positions: dict[int, str] | None = None
    for number, values in rows:
        if positions is None:
            found = {
                i: by_name[heading_key(v)] for i, v in enumerate(values) if v is not None and heading_key(v) in by_name
            }
            if required & {column.key for column in found.values()}:
                positions, table.headings = _positions(found, values, sheet, required, language, table)
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        cells = {
            key: _cell(values[i], f"{_column_letter(i)}{number}", language)
            for i, key in positions.items()
            if i < len(values)
        }
        if all(value is None for value in cells.values()):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise SheetRefused("too_many_rows", language, limit=MAX_ROWS)
        table.rows.append(Row(number, cells))
    if positions is None:
        names = "、".join(column.heading(language) for column in sheet.columns if column.required)
        raise SheetRefused("no_header", language, columns=names)
    if not table.rows:
        raise SheetRefused("no_rows", language)
    return table


def _positions(
    found: dict[int, Column], values: list[Any], sheet: Sheet, required: set[str], language: Language, table: Table
) -> tuple[dict[int, str], dict[str, str]]:
    seen: dict[str, int] = {}
    for index, column in found.items():
        if column.key in seen:
            raise SheetRefused("twice", language, column=str(values[index]).strip())
        seen[column.key] = index
    missing = [sheet.column(key).heading(language) for key in sorted(required - set(seen))]
    if missing:
        raise SheetRefused("missing_columns", language, columns="、".join(missing))
    table.ignored = [
        str(v).strip() for i, v in enumerate(values) if v is not None and str(v).strip() and i not in found
    ]
    return {index: column.key for index, column in found.items()}, {
        c.key: str(values[i]).strip() for i, c in found.items()
    }


# --- the template ------------------------------------------------------------------------------------------


def template(sheet: Sheet, language: Language) -> bytes:
    """The XLSX an office fills in: the headings in `language`, codes and phones formatted as text, lists
    for the choices, and a second sheet that says what each column holds."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    workbook = Workbook()
    data = workbook.active
    data.title = sheet.title_zh if language == "zh-CN" else sheet.title_en
    bold, shade = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(sheet.columns, start=1):
        cell = data.cell(row=1, column=index, value=column.heading(language))
        cell.font, cell.fill = bold, shade
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = column.width
        if column.as_text:
            for row in range(2, TEXT_FORMAT_ROWS + 2):
                data.cell(row=row, column=index).number_format = "@"
        if column.choices:
            listed = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            listed.add(f"{letter}2:{letter}{TEXT_FORMAT_ROWS + 1}")
            data.add_data_validation(listed)
    data.freeze_panes = "A2"
    notes = workbook.create_sheet("说明" if language == "zh-CN" else "Notes")
    header = ("列", "必填", "说明") if language == "zh-CN" else ("Column", "Required", "What it holds")
    notes.append(header)
    for cell in notes[1]:
        cell.font = bold
    for column in sheet.columns:
        required = ("是" if language == "zh-CN" else "yes") if column.required else ""
        notes.append((column.heading(language), required, column.note_zh if language == "zh-CN" else column.note_en))
    notes.column_dimensions["A"].width, notes.column_dimensions["C"].width = 22, 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
