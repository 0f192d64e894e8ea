"""Spreadsheets for the import tests: XLSX made with openpyxl, CSV in any encoding, and the upload."""

import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[Any]], *, title: str = "Sheet") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    import csv

    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([["" if v is None else v for v in row] for row in rows])
    return text.getvalue().encode(encoding)


def headings_of(content: bytes) -> list[str]:
    """The first row of a template."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [cell.value for cell in next(sheet.iter_rows(max_row=1))]


async def upload(
    client: httpx.AsyncClient,
    path: str,
    content: bytes,
    headers: dict[str, str],
    *,
    name: str = "data.xlsx",
    commit: bool = False,
    skip_bad_rows: bool = False,
    language: str = "zh-CN",
    boundaries: bytes | None = None,
    **params: Any,
) -> httpx.Response:
    files = {"file": (name, content, XLSX_TYPE if name.endswith(".xlsx") else "text/csv")}
    if boundaries is not None:
        files["boundaries"] = ("boundaries.geojson", boundaries, "application/geo+json")
    query = {"dry_run": str(not commit).lower(), "skip_bad_rows": str(skip_bad_rows).lower(), **params}
    return await client.post(
        path, files=files, params=query, headers={**headers, "Accept-Language": language}, timeout=60
    )
