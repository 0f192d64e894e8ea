"""The case list as a spreadsheet (shared.sheets_out): the cases GET /cases lists to the caller, with the same
filters and order, one row a case, as the caller sees each on screen — the contact masked (shared.privacy) and
only where `logic.access` shows it (staff, the filer, a deputy the case is routed to), empty elsewhere."""

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic.access import sees_contact_of
from services.case_intake.models import Case, CaseSupporter, Category, KnownGrid
from services.case_intake.views.cases import cases_query
from shared.auth import Principal
from shared.privacy import mask_name, mask_phone
from shared.sheets_out import Column, Language, stream_batches, words

COLUMNS = [
    Column("跟踪码", "Tracking code", width=20),
    Column("提交时间", "Filed at", "datetime", 17),
    Column("类型", "Kind", width=10),
    Column("类别", "Category", width=14),
    Column("状态", "Status", width=16),
    Column("紧急", "Urgent", "bool", 6),
    Column("乡镇（街道）", "Township", width=14),
    Column("村（社区）", "Village", width=14),
    Column("村民小组", "Group", width=16),
    Column("反映内容", "Description", width=50),
    Column("反映渠道", "Channel", width=14),
    Column("受理期限", "Accept by", "datetime", 17),
    Column("办结期限", "Resolve by", "datetime", 17),
    Column("办结时间", "Resolved at", "datetime", 17),
    Column("附议人数", "Supporters", "int", 8),
    Column("办理结果", "Resolution", width=40),
    Column("群众评价", "Rating", width=10),
    Column("联系人", "Contact name", width=10),
    Column("联系电话", "Contact phone", width=14),
]
KINDS = {
    "request": ("求助诉求", "Request for help"),
    "dispute": ("矛盾纠纷", "Dispute"),
    "suggestion": ("意见建议", "Suggestion"),
    "opinion": ("社情民意", "Public opinion"),
}
STATUSES = {
    "submitted": ("已收到，待分派", "Received, to dispatch"),
    "assigned": ("待受理", "To accept"),
    "accepted": ("已受理", "Accepted"),
    "in_progress": ("办理中", "In progress"),
    "referred": ("已转办", "Referred"),
    "mediating": ("调解中", "In mediation"),
    "resolved": ("已办结，待群众确认", "Resolved, awaiting the villager"),
    "closed": ("已结案", "Closed"),
    "reopened": ("重新办理", "Reopened"),
    "escalated": ("督办中", "Escalated"),
    "merged": ("已合并", "Merged"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "rejected": ("不予受理", "Rejected"),
    "returned": ("已退回，待重新分派", "Returned, to dispatch"),
}
CHANNELS = {
    "pwa": ("手机反映", "In the app"),
    "phone": ("电话反映", "By phone"),
    "walk_in": ("来访反映", "In person"),
    "field_visit": ("代表走访", "On a deputy's visit"),
    "station": ("联络站接待", "At a liaison station"),
    "open311": ("外部系统", "From another system"),
}
RATINGS = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Mostly satisfied"),
    "unsatisfied": ("不满意", "Not satisfied"),
}


def _named(table: dict[str, tuple[str, str]], value: str | None, language: Language) -> str | None:
    if value is None:
        return None
    return words(language, *table[value]) if value in table else value


async def _places(session: AsyncSession) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Every known grid as (township, village, group) names, from the projected tree (a city's few hundred)."""
    grids = {row.id: row for row in (await session.execute(select(KnownGrid))).scalars()}
    places: dict[str, tuple[str | None, str | None, str | None]] = {}
    for grid in grids.values():
        names: dict[str, str] = {}
        current: KnownGrid | None = grid
        for _ in range(4):  # township → village → group: never deeper, whatever the data says
            if current is None:
                break
            names.setdefault(current.level, current.name)
            current = grids.get(current.parent_id) if current.parent_id else None
        places[grid.id] = (names.get("township"), names.get("village"), names.get("group"))
    return places


async def _supporters(session: AsyncSession, case_ids: list[str]) -> dict[str, int]:
    query = (
        select(CaseSupporter.case_id, func.count())
        .where(CaseSupporter.case_id.in_(case_ids))
        .group_by(CaseSupporter.case_id)
    )
    return {case_id: int(count) for case_id, count in await session.execute(query)}


async def case_rows(
    session: AsyncSession, principal: Principal, language: Language, **filters: Any
) -> AsyncIterator[list[list[Any]]]:
    """The caller's cases (`cases_query` with the filters of GET /cases), in batches of rows."""
    places = await _places(session)
    named = (await session.execute(select(Category))).scalars()
    categories = {row.code: words(language, row.label_zh, row.label_en) for row in named}
    async for batch in stream_batches(session, await cases_query(session, principal, **filters)):
        batch_cases: list[Case] = batch
        ids = [case.id for case in batch_cases]
        contact = await sees_contact_of(session, batch_cases, principal)
        supporters = await _supporters(session, ids)
        rows = []
        for case in batch_cases:
            township, village, group = places.get(case.grid_id, (None, None, None))
            shown = case.id in contact
            rows.append(
                [
                    case.tracking_code,
                    case.submitted_at,
                    _named(KINDS, case.kind, language),
                    categories.get(case.category, case.category),
                    _named(STATUSES, case.status, language),
                    bool(case.urgent),
                    township,
                    village,
                    group,
                    case.description,
                    _named(CHANNELS, case.channel, language),
                    case.accept_due_at,
                    case.resolve_due_at,
                    case.resolved_at,
                    supporters.get(case.id, 0),
                    case.resolution,
                    _named(RATINGS, case.rating, language),
                    mask_name(case.contact_name) if shown else None,
                    mask_phone(case.contact_phone) if shown else None,
                ]
            )
        yield rows
