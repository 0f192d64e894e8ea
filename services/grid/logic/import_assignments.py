"""Deputies placed in grids (定格定责) from a spreadsheet: deputy code, grid code, role, basis, start.

A row names a deputy by code (as this service knows deputies: from the deputy service's events) and a grid
by code. A running assignment of that deputy in that grid with the same role, basis and start is left alone;
one that differs is the row's fault (end it first, as the API asks); else the assignment starts
(`assignments.start_assignment`: a grid has at most one head, a township's head sits on the chairpersons'
council, and the start is published). The optional name columns are checked against the codes, so that a row
shifted by one in Excel is caught rather than imported.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.logic import assignments
from services.grid.logic.grids import active_assignments
from services.grid.models import Assignment, Grid, KnownDeputy
from services.grid.schemas import AssignmentCreate
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.imports import ImportReport, ImportRun, Outcome, first_seen
from shared.service import ServiceRuntime
from shared.sheet_cells import Column, Sheet, choice, choices, code, day, text

ROLE_LABELS = {"member": ("成员", "网格员", "代表", "组员"), "grid_head": ("网格长", "组长", "head", "grid head")}
BASIS_LABELS = {"electoral_district": ("原选区", "选区", "electoral district"), "proximity": ("就近", "nearby")}
ROLES, BASES = choices(ROLE_LABELS), choices(BASIS_LABELS)
ROLE_WORDS = {"member": {"zh-CN": "成员", "en": "member"}, "grid_head": {"zh-CN": "网格长", "en": "grid head"}}

SHEET = Sheet(
    "assignments",
    "定格定责",
    "Assignments",
    (
        Column(
            "deputy_code",
            "代表编码",
            "deputy code",
            ("代表编号",),
            True,
            "代表的编码（见代表名单）",
            "The deputy's code",
            True,
        ),
        Column(
            "deputy_name",
            "代表姓名",
            "deputy name",
            ("姓名",),
            False,
            "可不填；填了会与编码核对",
            "Optional; checked against the code",
        ),
        Column("grid_code", "网格编码", "grid code", ("网格",), True, "网格的编码", "The grid's code", True),
        Column(
            "grid_name",
            "网格名称",
            "grid name",
            (),
            False,
            "可不填；填了会与编码核对",
            "Optional; checked against the code",
            width=20,
        ),
        Column(
            "role",
            "角色",
            "role",
            ("职责",),
            False,
            "成员 / 网格长（不填为成员）；乡镇网格长须为主任会议成员",
            "member / grid head (blank: member); a township's head sits on the chairpersons' council",
            choices=("成员", "网格长"),
        ),
        Column(
            "basis",
            "依据",
            "basis",
            ("定格依据",),
            False,
            "原选区 / 就近（不填为原选区）",
            "electoral district / proximity (blank: electoral district)",
            choices=("原选区", "就近"),
        ),
        Column(
            "starts_on",
            "开始日期",
            "start date",
            ("开始", "起始日期", "start"),
            True,
            "如 2026-01-01",
            "e.g. 2026-01-01",
        ),
    ),
)
FIELDS = {"deputy_id": "deputy_code", "grid_id": "grid_code", "starts_on": "starts_on"}

WORDS: dict[str, tuple[str | None, dict[str, str]]] = {
    "assignment.deputy_retired": ("deputy_code", {"zh-CN": "该代表已离任。", "en": "The deputy is retired."}),
    "assignment.council": (
        "role",
        {
            "zh-CN": "乡镇的网格长必须是主任会议成员。",
            "en": "A township's grid head must be a member of the chairpersons' council.",
        },
    ),
    "assignment.head_taken": (
        "role",
        {
            "zh-CN": "该网格已有网格长：请先结束原来的任命。",
            "en": "The grid has a grid head: end that assignment first.",
        },
    ),
    "assignment.already": (
        "grid_code",
        {"zh-CN": "该代表已在此网格任职。", "en": "The deputy is already assigned to this grid."},
    ),
    "grid.retired": ("grid_code", {"zh-CN": "该网格已撤销。", "en": "The grid is retired."}),
    "import.deputy_unknown": (
        "deputy_code",
        {
            "zh-CN": "系统中没有代表编码 {code}（刚导入的代表要几秒钟后才能在这里使用）。",
            "en": "No deputy has the code {code} here (deputies just imported take a few seconds to arrive).",
        },
    ),
    "import.grid_unknown": (
        "grid_code",
        {"zh-CN": "网格编码 {code} 不存在。", "en": "No grid has the code {code}."},
    ),
    "import.deputy_name": (
        "deputy_name",
        {
            "zh-CN": "姓名与编码不符：编码 {code} 是 {name}。",
            "en": "The name does not match the code: {code} is {name}.",
        },
    ),
    "import.grid_name": (
        "grid_name",
        {
            "zh-CN": "网格名称与编码不符：编码 {code} 是 {name}。",
            "en": "The grid's name does not match the code: {code} is {name}.",
        },
    ),
    "import.differs": (
        "role",
        {
            "zh-CN": "该代表已在此网格任职（{role}，{since} 起），与本行不同：请先在系统中结束原任命。",
            "en": "The deputy already serves in this grid ({role} since {since}), unlike this row: end that "
            "assignment first.",
        },
    ),
}


@dataclass
class AssignmentRow:
    number: int
    deputy_code: str
    grid_code: str
    deputy_name: str | None
    grid_name: str | None
    role: str
    basis: str
    starts_on: date


def _read(run: ImportRun, row_number: int, values: dict[str, Any]) -> AssignmentRow | None:
    cell = run.reader(row_number, values)

    read = {
        "deputy_code": cell("deputy_code", lambda v: code(v, required=True)),
        "grid_code": cell("grid_code", lambda v: code(v, required=True)),
        "deputy_name": cell("deputy_name", lambda v: text(v, 120)),
        "grid_name": cell("grid_name", lambda v: text(v, 120)),
        "role": cell("role", lambda v: choice(v, ROLES, SHEET.column("role").choices)) or "member",
        "basis": cell("basis", lambda v: choice(v, BASES, SHEET.column("basis").choices)) or "electoral_district",
        "starts_on": cell("starts_on", lambda v: day(v, required=True)),
    }
    return None if run.bad(row_number) else AssignmentRow(row_number, **read)


async def _apply(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    row: AssignmentRow,
    deputies: dict[str, KnownDeputy],
    language: str,
) -> tuple[Outcome, list[str]]:
    deputy = deputies.get(row.deputy_code)
    if deputy is None:
        raise Unprocessable("Unknown deputy code.", rule="import.deputy_unknown", code=row.deputy_code)
    if row.deputy_name is not None and row.deputy_name != deputy.name:
        raise Unprocessable("Name and code differ.", rule="import.deputy_name", code=deputy.code, name=deputy.name)
    grid = (await session.execute(select(Grid).where(Grid.code == row.grid_code))).scalar_one_or_none()
    if grid is None:
        raise Unprocessable("Unknown grid code.", rule="import.grid_unknown", code=row.grid_code)
    if row.grid_name is not None and row.grid_name != grid.name:
        raise Unprocessable("Grid name and code differ.", rule="import.grid_name", code=grid.code, name=grid.name)
    running = await active_assignments(session, Assignment.grid_id == grid.id, Assignment.deputy_id == deputy.id)
    if running:
        held = running[0]
        if (held.role, held.basis, held.starts_on) == (row.role, row.basis, row.starts_on):
            return "unchanged", []
        role = ROLE_WORDS.get(held.role, {}).get(language, held.role)
        raise Unprocessable("Already assigned otherwise.", rule="import.differs", role=role, since=held.starts_on)
    data = AssignmentCreate(
        grid_id=grid.id, deputy_id=deputy.id, role=row.role, basis=row.basis, starts_on=row.starts_on
    )
    await assignments.start_assignment(session, runtime, data, by=principal)
    return "created", []


async def import_assignments(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    run: ImportRun,
    *,
    dry_run: bool,
    skip_bad_rows: bool,
) -> ImportReport:
    """Check (dry run) or start the assignments of `run`'s table; see shared.imports for the two steps."""
    run.words, run.fields = WORDS, FIELDS
    deputies = {deputy.code: deputy for deputy in (await session.execute(select(KnownDeputy))).scalars()}
    rows, seen = [], {}
    for item in run.table.rows:
        row = _read(run, item.number, item.values)
        pair = (row.deputy_code, row.grid_code) if row else None
        if row is not None and first_seen(run, "grid_code", seen, pair, row.number, " → ".join(pair or ())):
            rows.append(row)
    for row in rows:
        key = f"{row.deputy_code} → {row.grid_code}"
        action = lambda row=row: _apply(session, runtime, principal, row, deputies, run.language)  # noqa: E731
        await run.apply(session, row.number, key, action)
    return await run.finish(session, principal, "grid.import.assignments", dry_run=dry_run, skip_bad_rows=skip_bad_rows)
