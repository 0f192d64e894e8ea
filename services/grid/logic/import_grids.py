"""The grid tree from a spreadsheet (township → village → group), with boundaries from a GeoJSON file.

Rows are matched by code: a new code is created (`tree.create_grid`), a known one changed where the file says
otherwise (`tree.update_grid`: renamed, moved, new figures or boundary, kept in its history and published), an
equal one left alone. A blank cell leaves what is stored. Townships are applied first, then villages, then
groups, so a parent may sit anywhere in the same file. Grids the file does not name are left as they are.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.domain.tree import CHANGEABLE, LEVEL_ORDER
from services.grid.logic import tree
from services.grid.models import Grid
from services.grid.schemas import GridCreate, GridUpdate
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.imports import ImportReport, ImportRun, Outcome, first_seen
from shared.service import ServiceRuntime
from shared.sheet_cells import CellError, Column, Sheet, choice, choices, code, integer, number, text
from shared.sheet_words import Language
from shared.sheets_in import SheetRefused, Upload

LEVEL_LABELS = {
    "township": ("乡镇", "镇", "乡", "街道"),
    "village": ("村", "社区", "村社区"),
    "group": ("组", "村小组", "村民小组", "小组", "小区"),
}
KIND_LABELS = {
    "town": ("镇",),
    "township": ("乡",),
    "subdistrict": ("街道",),
    "village": ("村",),
    "community": ("社区",),
    "group": ("组", "村小组", "村民小组"),
    "compound": ("小区",),
}
LEVELS, KINDS = choices(LEVEL_LABELS), choices(KIND_LABELS)
CODE_KEYS = ("code", "编码", "grid_code", "网格编码")
"""A boundary feature's property that names its grid."""

SHEET = Sheet(
    "grids",
    "网格",
    "Grids",
    (
        Column(
            "code",
            "编码",
            "code",
            ("网格编码", "grid code", "代码"),
            True,
            "唯一编码：字母、数字和 _ . -，最长 40 位；重复导入按编码更新",
            "Unique: letters, digits, _ . - (at most 40); a re-import updates by code",
            True,
        ),
        Column(
            "name",
            "名称",
            "name",
            ("网格名称", "grid name"),
            True,
            "如 韶山乡、湘韶村、湘韶村第1组",
            "e.g. 韶山乡, 湘韶村, 湘韶村第1组",
            width=20,
        ),
        Column(
            "level",
            "层级",
            "level",
            ("级别",),
            True,
            "乡镇 / 村 / 组（社区算村，小区算组）",
            "township / village / group",
            choices=("乡镇", "村", "组"),
        ),
        Column(
            "parent_code",
            "上级编码",
            "parent code",
            ("上级网格编码", "所属编码", "parent"),
            False,
            "村填所属乡镇的编码，组填所属村的编码；乡镇不填",
            "A village: its township's code; a group: its village's; a township: blank",
            True,
        ),
        Column(
            "kind",
            "类型",
            "kind",
            ("类别",),
            False,
            "可不填（按名称判断）：镇 乡 街道 / 村 社区 / 组 小区",
            "Optional (from the name): town, township, subdistrict / village, community / group, compound",
        ),
        Column(
            "district",
            "选区",
            "electoral district",
            ("所属选区", "district"),
            False,
            "所在选区，如 第1选区",
            "The electoral district, e.g. 第1选区",
            width=16,
        ),
        Column("population", "人口", "population", ("人口数", "常住人口"), False, "整数", "A whole number"),
        Column("households", "户数", "households", ("总户数",), False, "整数", "A whole number"),
        Column(
            "centre_lat",
            "中心纬度",
            "centre latitude",
            ("纬度", "latitude", "lat"),
            False,
            "WGS 84，可不填（有边界时取边界内一点）",
            "WGS 84; optional (a point inside the boundary if there is one)",
        ),
        Column(
            "centre_lon",
            "中心经度",
            "centre longitude",
            ("经度", "longitude", "lon", "lng"),
            False,
            "WGS 84，与中心纬度一起填",
            "WGS 84, with the centre latitude",
        ),
    ),
)
FIELDS = {"parent_id": "parent_code", "boundary": "boundary", "centre": "centre_lat"}
HEADINGS = {"boundary": {"zh-CN": "边界（GeoJSON）", "en": "boundary (GeoJSON)"}}

WORDS: dict[str, tuple[str | None, dict[str, str]]] = {
    "grid.parent_level": (
        "parent_code",
        {
            "zh-CN": "上级的层级不对：乡镇没有上级，村的上级是乡镇，组的上级是村。",
            "en": "Wrong parent: a township has none, a village's is a township, a group's is a village.",
        },
    ),
    "grid.parent_retired": ("parent_code", {"zh-CN": "上级网格已撤销。", "en": "The parent grid is retired."}),
    "grid.kind": (
        "kind",
        {"zh-CN": "这一层级的网格不能是这种类型。", "en": "A grid of this level cannot be of this kind."},
    ),
    "grid.boundary": (
        "boundary",
        {
            "zh-CN": "边界不是有效的多边形（自相交或点太少）。",
            "en": "The boundary is not a valid polygon (it crosses itself or has too few points).",
        },
    ),
    "grid.code_taken": ("code", {"zh-CN": "编码已被使用。", "en": "The code is taken."}),
    "grid.retired": (
        "code",
        {"zh-CN": "这个编码的网格已撤销，不能再修改。", "en": "The grid with this code is retired and cannot change."},
    ),
    "import.parent_unknown": (
        "parent_code",
        {
            "zh-CN": "上级编码 {parent} 不存在（系统和本文件中都没有，或它所在的行有错误）。",
            "en": "No grid has the parent code {parent} (neither stored nor in this file without errors).",
        },
    ),
    "import.level_changed": (
        "level",
        {
            "zh-CN": "已有网格的层级不能改变（编码 {code} 现为 {stored}）。",
            "en": "A grid's level cannot change (code {code} is a {stored}).",
        },
    ),
    "import.boundary_orphan": (
        None,
        {
            "zh-CN": "边界文件中编码为 {code} 的要素在表格中没有对应的行。",
            "en": "The boundary of code {code} matches no row of the sheet.",
        },
    ),
    "import.boundary_uncoded": (
        None,
        {
            "zh-CN": "边界文件的第 {n} 个要素没有编码（properties 中的 code 或 编码）。",
            "en": "Feature {n} of the boundaries file names no code (code or 编码 in its properties).",
        },
    ),
    "import.boundary_twice": (
        None,
        {
            "zh-CN": "边界文件中编码 {code} 出现了不止一次。",
            "en": "The boundaries file has code {code} more than once.",
        },
    ),
}


@dataclass
class GridRow:
    number: int
    code: str
    level: str
    parent_code: str | None
    fields: dict[str, Any]
    """name, kind, district, population, households, centre, boundary: the cells that were filled in."""


def _read(run: ImportRun, row_number: int, values: dict[str, Any]) -> GridRow | None:
    cell = run.reader(row_number, values)

    level_shown = SHEET.column("level").choices
    grid_code = cell("code", lambda v: code(v, required=True))
    level = cell("level", lambda v: choice(v, LEVELS, level_shown) if v is not None else _required())
    parent = cell("parent_code", code)
    fields = {
        "name": cell("name", lambda v: text(v, 120, required=True)),
        "kind": cell("kind", lambda v: choice(v, KINDS, tuple(label[0] for label in KIND_LABELS.values()))),
        "district": cell("district", lambda v: text(v, 120)),
        "population": cell("population", integer),
        "households": cell("households", integer),
    }
    lat, lon = cell("centre_lat", lambda v: number(v, -90, 90)), cell("centre_lon", lambda v: number(v, -180, 180))
    if (lat is None) != (lon is None):
        run.cell(row_number, "centre_lon" if lon is None else "centre_lat", CellError("required"))
    elif lat is not None:
        fields["centre"] = {"lat": lat, "lon": lon}
    if run.bad(row_number) or grid_code is None or level is None:
        return None
    return GridRow(
        row_number, grid_code, level, parent, {key: value for key, value in fields.items() if value is not None}
    )


def _required() -> None:
    raise CellError("required")


def read_boundaries(upload: Upload, run: ImportRun, language: Language) -> dict[str, dict[str, Any]]:
    """code → GeoJSON geometry from a FeatureCollection (each feature's properties name its grid's code)."""
    upload.file.seek(0)
    try:
        document = json.loads(upload.file.read())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SheetRefused("not_geojson", language, why=str(error)[:200]) from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SheetRefused("not_geojson", language, why="type")
    features = document.get("features")
    if not isinstance(features, list):
        raise SheetRefused("not_geojson", language, why="features")
    shapes: dict[str, dict[str, Any]] = {}
    for index, feature in enumerate(features, start=1):
        properties = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        found = next((properties[key] for key in CODE_KEYS if properties.get(key) is not None), None)
        if found is None or not isinstance(feature.get("geometry"), dict):
            run.rule(None, "import.boundary_uncoded", n=index)
            continue
        grid_code = str(int(found) if isinstance(found, float) and found.is_integer() else found).strip()
        if grid_code in shapes:
            run.rule(None, "import.boundary_twice", code=grid_code)
        shapes[grid_code] = feature["geometry"]
    return shapes


async def _by_code(session: AsyncSession, grid_code: str) -> Grid | None:
    return (await session.execute(select(Grid).where(Grid.code == grid_code))).scalar_one_or_none()


async def _apply(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, row: GridRow, reason: str
) -> tuple[Outcome, list[str]]:
    parent_id = None
    if row.parent_code is not None:
        parent = await _by_code(session, row.parent_code)
        if parent is None:
            raise Unprocessable(
                f"No grid has the code {row.parent_code}.", rule="import.parent_unknown", parent=row.parent_code
            )
        parent_id = parent.id
    existing = await _by_code(session, row.code)
    if existing is None:
        data = GridCreate.model_validate({**row.fields, "code": row.code, "level": row.level, "parent_id": parent_id})
        await tree.create_grid(session, runtime, data, by=principal)
        return "created", []
    if existing.level != row.level:
        raise Unprocessable(
            "A grid's level cannot change.", rule="import.level_changed", code=row.code, stored=existing.level
        )
    moved = {"parent_id": parent_id} if parent_id is not None or row.level == "township" else {}
    update = GridUpdate.model_validate({**row.fields, **moved, "reason": reason})
    before = {name: getattr(existing, name) for name in CHANGEABLE}
    grid = await tree.update_grid(session, runtime, existing.id, update, by=principal)
    changed = [name for name in CHANGEABLE if getattr(grid, name) != before[name]]
    return ("changed", [_column_of(name) for name in changed]) if changed else ("unchanged", [])


def _column_of(name: str) -> str:
    return {"parent_id": "parent_code", "centre_lat": "centre_lat", "centre_lon": "centre_lon"}.get(name, name)


async def import_grids(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    run: ImportRun,
    boundaries: Upload | None,
    *,
    dry_run: bool,
    skip_bad_rows: bool,
) -> ImportReport:
    """Check (dry run) or apply the grids of `run`'s table; see shared.imports for the two steps."""
    run.words, run.fields, run.headings = WORDS, FIELDS, HEADINGS
    shapes = read_boundaries(boundaries, run, run.language) if boundaries is not None else {}
    rows, seen = [], {}
    for item in run.table.rows:
        row = _read(run, item.number, item.values)
        if row is not None and first_seen(run, "code", seen, row.code, row.number, row.code):
            rows.append(row)
    named = set(seen) | {str(item.values.get("code")) for item in run.table.rows}
    for grid_code in sorted(set(shapes) - named):
        run.rule(None, "import.boundary_orphan", code=grid_code)
    for row in rows:
        if row.code in shapes:
            row.fields["boundary"] = shapes[row.code]
    reason = f"spreadsheet import sha256:{run.upload.sha256[:16]}"
    for row in sorted(rows, key=lambda item: (LEVEL_ORDER[item.level], item.number)):
        await run.apply(session, row.number, row.code, lambda row=row: _apply(session, runtime, principal, row, reason))
    return await run.finish(session, principal, "grid.import.grids", dry_run=dry_run, skip_bad_rows=skip_bad_rows)
