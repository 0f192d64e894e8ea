"""The NPC office's import screen (/office/import) in a real Chromium at 360 px: a grid file with a bad row is
checked (the faults by row and column, nothing kept), the corrected file is checked and imported, and the
grids are there."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_work_screens import look, sign_in
from tests.integration.sheets import csv_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

HEAD = ["编码", "名称", "层级", "上级编码", "选区", "人口", "户数"]
GOOD = [
    HEAD,
    ["E2E-T", "试验乡", "乡镇", None, None, 900, 300],
    ["E2E-V", "试验村", "村", "E2E-T", "第99选区", 600, 200],
    ["E2E-G", "试验村第1组", "组", "E2E-V", None, 300, 100],
]


def test_the_office_checks_a_spreadsheet_sees_its_faults_and_imports_it(new_page, api, shots, tmp_path: Path):
    bad = tmp_path / "网格-有错.csv"
    faults = [
        ["E2E-G2", "试验村第2组", "组", "E2E-X", None, None, None],
        ["E2E-G3", "第3组", "组", "E2E-V", None, "很多", None],
    ]
    bad.write_bytes(csv_bytes([*GOOD, *faults], "gb18030"))
    good = tmp_path / "网格.csv"
    good.write_bytes(csv_bytes(GOOD, "gb18030"))
    page = new_page()
    sign_in(page, "/office/import", "office", "从表格导入")
    look(page, shots, "zh-office-5-import")

    page.set_input_files("#import-file", str(bad))
    page.click("#import-check")
    expect(page.locator("#import-report")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-errors")).to_contain_text("上级编码 E2E-X 不存在")
    expect(page.locator("#import-errors")).to_contain_text("应为整数")
    expect(page.locator("#import-commit")).to_be_disabled()
    look(page, shots, "zh-office-5-import-faults")

    page.set_input_files("#import-file", str(good))
    page.click("#import-check")
    expect(page.locator("#import-report")).to_contain_text("全部 3 行都没有问题", timeout=30_000)
    assert api.get("/api/grid/grids", params={"q": "试验村"}).json()["total"] == 0
    page.click("#import-commit")
    expect(page.locator("#import-report h2")).to_have_text("导入完成", timeout=30_000)
    look(page, shots, "zh-office-5-import-done")
    found = api.get("/api/grid/grids", params={"q": "试验村"}).json()["items"]
    assert sorted(item["code"] for item in found) == ["E2E-G", "E2E-V"]
