"""The roster of deputies from a spreadsheet (代表名单): 姓名, 代表层级, 选区, 单位职务, 联系电话, 是否主任会议成员,
居住地 (所在网格, and the home's coordinates).

Rows are matched by the deputy's code: a new code is registered (`deputies.register_deputy`), a known one changed
where the file says otherwise (`deputies.update_deputy`: a change of the public profile is published), an equal
one left alone. A blank cell leaves what is stored. The home grid is named by its code (or by its name, when
exactly one grid this service knows has it). Phone numbers are personal data: the report never repeats them.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.profile import PRIVATE_FIELDS, PUBLIC_FIELDS
from services.deputy.logic import deputies
from services.deputy.models import Deputy, KnownGrid
from services.deputy.schemas import DeputyCreate, DeputyUpdate, Phone
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.imports import ImportReport, ImportRun, Outcome, first_seen
from shared.service import ServiceRuntime
from shared.sheet_cells import CellError, Column, Sheet, boolean, choice, choices, code, number, text

LEVEL_LABELS = {
    "city": ("市级", "市", "市人大代表", "市级代表"),
    "township": ("乡镇级", "乡镇", "乡级", "镇级", "乡镇人大代表"),
    "both": ("两级", "市乡两级", "市、乡镇两级", "市和乡镇"),
}
LEVELS = choices(LEVEL_LABELS)
PHONE: TypeAdapter[str] = TypeAdapter(Phone)

SHEET = Sheet(
    "deputies",
    "代表",
    "Deputies",
    (
        Column(
            "code",
            "代表编码",
            "code",
            ("编码", "编号", "代表编号", "deputy code"),
            True,
            "唯一编码：字母、数字和 _ . -；重复导入按编码更新",
            "Unique: letters, digits, _ . -; a re-import updates by code",
            True,
        ),
        Column("name", "姓名", "name", ("代表姓名",), True, "", ""),
        Column(
            "level",
            "代表层级",
            "level",
            ("层级", "代表级别"),
            True,
            "市级 / 乡镇级 / 两级",
            "city / township / both",
            choices=("市级", "乡镇级", "两级"),
        ),
        Column(
            "district",
            "选区",
            "electoral district",
            ("所属选区", "district"),
            True,
            "如 第1选区",
            "e.g. 第1选区",
            width=16,
        ),
        Column(
            "organisation",
            "单位职务",
            "organisation and post",
            ("工作单位及职务", "单位及职务", "工作单位", "职务"),
            False,
            "",
            "",
            width=24,
        ),
        Column(
            "contact_phone",
            "联系电话",
            "phone",
            ("电话", "手机", "手机号码"),
            False,
            "个人信息：只有人大办和代表本人能看到全号",
            "Personal data: only the office and the deputy see it whole",
            True,
        ),
        Column(
            "council_member",
            "是否主任会议成员",
            "council member",
            ("主任会议成员",),
            False,
            "是 / 否（不填为否）；乡镇网格长须为主任会议成员",
            "yes / no (blank: no); a township's grid head must be one",
            choices=("是", "否"),
        ),
        Column(
            "home_grid",
            "所在网格",
            "home grid",
            ("居住地", "居住地网格", "所在网格编码", "居住地所在网格", "home grid code"),
            False,
            "居住地所在的组：网格编码（或唯一的网格名称）",
            "The group the deputy lives in: its code (or its name, if unique)",
            True,
            width=18,
        ),
        Column(
            "home_lat",
            "居住地纬度",
            "home latitude",
            ("住址纬度",),
            False,
            "个人信息，WGS 84；用于就近定格",
            "Personal data, WGS 84: for proximity",
        ),
        Column(
            "home_lon",
            "居住地经度",
            "home longitude",
            ("住址经度",),
            False,
            "个人信息，WGS 84，与纬度一起填",
            "Personal data, WGS 84, with the latitude",
        ),
    ),
)
FIELDS = {"home_grid_id": "home_grid", "home_location": "home_lat", "home_lat": "home_lat", "home_lon": "home_lon"}

WORDS: dict[str, tuple[str | None, dict[str, str]]] = {
    "deputy.code_taken": ("code", {"zh-CN": "代表编码已被使用。", "en": "The code is taken."}),
    "deputy.retired": (
        "code",
        {"zh-CN": "该代表已离任，不能再修改。", "en": "The deputy is retired and cannot change."},
    ),
    "deputy.unknown_grid": ("home_grid", {"zh-CN": "所在网格在系统中不存在。", "en": "The home grid is not known."}),
    "deputy.required": (None, {"zh-CN": "必填项不能清空。", "en": "A required field cannot be cleared."}),
    "import.home_unknown": (
        "home_grid",
        {
            "zh-CN": "没有编码或名称为 {grid} 的网格（或这个名称不止一个网格用：请填编码）。",
            "en": "No grid has the code or name {grid} (or several share the name: give the code).",
        },
    ),
}


@dataclass
class DeputyRow:
    number: int
    code: str
    home_grid: str | None
    fields: dict[str, Any]


def _read(run: ImportRun, row_number: int, values: dict[str, Any]) -> DeputyRow | None:
    cell = run.reader(row_number, values)

    deputy_code = cell("code", lambda v: code(v, required=True))
    fields = {
        "name": cell("name", lambda v: text(v, 120, required=True)),
        "level": cell("level", lambda v: _required(v) and choice(v, LEVELS, SHEET.column("level").choices)),
        "district": cell("district", lambda v: text(v, 120, required=True)),
        "organisation": cell("organisation", lambda v: text(v, 120)),
        "contact_phone": cell("contact_phone", _phone),
        "council_member": cell("council_member", boolean),
    }
    home = cell("home_grid", lambda v: text(v, 120))
    lat, lon = cell("home_lat", lambda v: number(v, -90, 90)), cell("home_lon", lambda v: number(v, -180, 180))
    if (lat is None) != (lon is None):
        run.cell(row_number, "home_lon" if lon is None else "home_lat", CellError("required"))
    elif lat is not None:
        fields["home_location"] = {"lat": lat, "lon": lon}
    if run.bad(row_number) or deputy_code is None:
        return None
    return DeputyRow(row_number, deputy_code, home, {key: value for key, value in fields.items() if value is not None})


def _required(value: Any) -> bool:
    if value is None:
        raise CellError("required")
    return True


def _phone(value: Any) -> str | None:
    """A phone number as the API takes it; Excel may keep it as a number."""
    found = text(value, 20)
    if found is None:
        return None
    try:
        return PHONE.validate_python(found)
    except ValidationError as error:
        raise CellError("not_phone") from error


async def _homes(session: AsyncSession) -> dict[str, str | None]:
    """Code or name → grid id, from the grid events this service has applied (a name two grids share: None)."""
    homes: dict[str, str | None] = {}
    rows = (await session.execute(select(KnownGrid.id, KnownGrid.code, KnownGrid.name, KnownGrid.status))).all()
    for grid_id, _code, name, status in rows:
        if status == "active":
            homes[name] = None if name in homes else grid_id
    for grid_id, grid_code, _name, status in rows:
        if status == "active":
            homes[grid_code] = grid_id
    return homes


async def _apply(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, row: DeputyRow, homes: dict[str, str | None]
) -> tuple[Outcome, list[str]]:
    fields = dict(row.fields)
    if row.home_grid is not None:
        fields["home_grid_id"] = homes.get(row.home_grid)
        if fields["home_grid_id"] is None:
            raise Unprocessable("Unknown home grid.", rule="import.home_unknown", grid=row.home_grid)
    existing = (await session.execute(select(Deputy).where(Deputy.code == row.code))).scalar_one_or_none()
    if existing is None:
        await deputies.register_deputy(
            session, runtime, DeputyCreate.model_validate({**fields, "code": row.code}), by=principal
        )
        return "created", []
    watched = PUBLIC_FIELDS + PRIVATE_FIELDS
    before = {name: getattr(existing, name) for name in watched}
    deputy = await deputies.update_deputy(
        session, runtime, existing.id, DeputyUpdate.model_validate(fields), by=principal
    )
    changed = [name for name in watched if getattr(deputy, name) != before[name]]
    return ("changed", [FIELDS.get(name, name) for name in changed]) if changed else ("unchanged", [])


async def import_deputies(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    run: ImportRun,
    *,
    dry_run: bool,
    skip_bad_rows: bool,
) -> ImportReport:
    """Check (dry run) or apply the deputies of `run`'s table; see shared.imports for the two steps."""
    run.words, run.fields = WORDS, FIELDS
    homes = await _homes(session)
    rows, seen = [], {}
    for item in run.table.rows:
        row = _read(run, item.number, item.values)
        if row is not None and first_seen(run, "code", seen, row.code, row.number, row.code):
            rows.append(row)
    for row in rows:
        await run.apply(session, row.number, row.code, lambda row=row: _apply(session, runtime, principal, row, homes))
    return await run.finish(session, principal, "deputy.import.deputies", dry_run=dry_run, skip_bad_rows=skip_bad_rows)
