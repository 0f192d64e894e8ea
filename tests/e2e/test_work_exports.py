"""Exports from the officials' screens in a real Chromium, through the gateway: the office downloads the year's
figures by township, village and group as Excel and the case list as CSV from its dashboard; a deputy downloads
their own five ones from "my duty" and gets their row only. The files are opened as Excel and csv would."""

import csv
import io
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_work_screens import look, sign_in, token

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def downloaded(page: Page, button: str) -> tuple[str, bytes]:
    """Click an export button; the saved file's name and bytes."""
    with page.expect_download(timeout=30_000) as started:
        page.click(button)
    download = started.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_the_office_downloads_the_figures_and_the_cases_from_its_dashboard(new_page, api: httpx.Client, shots):
    office = new_page()
    sign_in(office, "/office/dashboard", "office", "统计")
    expect(office.locator("#export-statistics-xlsx")).to_be_visible()
    look(office, shots, "zh-office-2-dashboard-exports")
    name, body = downloaded(office, "#export-statistics-xlsx")
    assert name.startswith("履职统计_") and name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["层级", "乡镇（街道）", "村（社区）", "村民小组"] and rows[1][0] == "全市"
    levels = {row[0] for row in rows[1:]}
    assert {"乡镇", "村", "组"} <= levels
    townships = api.get("/api/grid/grids", params={"level": "township", "limit": 200}).json()
    assert sum(1 for row in rows if row[0] == "乡镇") == townships["total"]
    expect(office.locator("#export-statistics-status")).to_have_text("已下载。")

    name, body = downloaded(office, "#export-cases-csv")
    assert name.startswith("案件清单_") and name.endswith(".csv") and body.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert parsed[0][0] == "跟踪码"
    listed = api.get("/api/case-intake/cases", params={"limit": 1}, headers=token(api, "office")).json()
    assert len(parsed) - 1 == listed["total"]


def test_a_deputy_downloads_their_own_five_ones(new_page, api: httpx.Client, shots):
    deputy = new_page()
    sign_in(deputy, "/deputy/duty", "D0001", "我的履职")
    name, body = downloaded(deputy, "#export-five-ones-xlsx")
    assert name.endswith(".xlsx")
    rows = [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows()]
    assert rows[0][:2] == ["代表编号", "姓名"] and [row[0] for row in rows[1:]] == ["D0001"]
    look(deputy, shots, "zh-deputy-5-duty-exported")
