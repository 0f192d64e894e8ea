"""Reception records (当面提、当面议、当面答) as a spreadsheet (shared.sheets_out): what GET /records lists to the
caller, with its filters and a period, one row a visitor's matter, with its session, station and the deputies
on duty. The visitor appears only for those who see the session's bookings (station staff and the office), and
masked as the bookings show them (shared.privacy); deputies get the records without the visitor, as on screen."""

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.days import day_span
from services.station_scheduling.models import (
    Booking,
    DutyDeputy,
    KnownDeputy,
    KnownGrid,
    ReceptionRecord,
    ReceptionSession,
    Station,
)
from services.station_scheduling.views.records import records_query
from shared.categories import CATEGORY_NAMES
from shared.privacy import mask_name, mask_phone
from shared.sheets_out import Column, Language, stream_batches, words

COLUMNS = [
    Column("接待时间", "Session", "datetime", 17),
    Column("联络站", "Station", width=18),
    Column("接待方式", "Where", width=10),
    Column("值班代表", "Deputies on duty", width=18),
    Column("来访人", "Visitor", width=10),
    Column("来访人电话", "Visitor's phone", width=14),
    Column("村民小组", "Group", width=16),
    Column("类型", "Kind", width=10),
    Column("类别", "Category", width=12),
    Column("当面提", "Raised", width=40),
    Column("当面议", "Discussed", width=30),
    Column("当面答", "Answered", width=30),
    Column("结果", "Outcome", width=12),
    Column("跟进方式", "Followed up by", width=14),
    Column("案件跟踪码", "Case tracking code", width=20),
    Column("案件状态", "Case status", width=12),
    Column("记录时间", "Recorded at", "datetime", 17),
]
MODES = {
    "station": ("站内接待", "At the station"),
    "outside": ("站外接待", "Outside"),
    "online": ("网上接待", "Online"),
}
KINDS = {
    "request": ("求助诉求", "Request for help"),
    "dispute": ("矛盾纠纷", "Dispute"),
    "suggestion": ("意见建议", "Suggestion"),
    "opinion": ("社情民意", "Public opinion"),
}
CATEGORIES = CATEGORY_NAMES
OUTCOMES = {"answered": ("当场答复", "Answered"), "follow_up": ("需要跟进", "Follow-up")}
ROUTES = {
    "township": ("交乡镇办理", "The township"),
    "city_organs": ("转市直部门", "City departments"),
    "suggestion": ("形成代表建议", "A deputy's suggestion"),
}


def _named(table: dict[str, tuple[str, str]], value: str | None, language: Language) -> str | None:
    if value is None:
        return None
    return words(language, *table[value]) if value in table else value


async def _on_duty(db: AsyncSession, session_ids: list[str]) -> dict[str, str]:
    """Each session's deputies on duty, by their public names, in code order."""
    query = (
        select(DutyDeputy.session_id, KnownDeputy.name)
        .join(KnownDeputy, KnownDeputy.id == DutyDeputy.deputy_id)
        .where(DutyDeputy.session_id.in_(session_ids))
        .order_by(DutyDeputy.session_id, KnownDeputy.code)
    )
    names: dict[str, list[str]] = defaultdict(list)
    for session_id, name in await db.execute(query):
        names[session_id].append(name)
    return {session_id: "、".join(found) for session_id, found in names.items()}


async def record_rows(
    db: AsyncSession,
    language: Language,
    *,
    with_visitor: bool,
    date_from: date | None = None,
    date_to: date | None = None,
    **filters: str | None,
) -> AsyncIterator[list[list[Any]]]:
    """The records `records_query(**filters)` lists, of sessions held from `date_from` to `date_to` (Beijing
    days, both included), in batches; the visitor (masked) only `with_visitor`."""
    visitor = (Booking.visitor_name, Booking.visitor_phone) if with_visitor else ()
    query = (
        records_query(**filters)
        .add_columns(ReceptionSession.starts_at, ReceptionSession.mode, Station.name, KnownGrid.name, *visitor)
        .join(ReceptionSession, ReceptionSession.id == ReceptionRecord.session_id)
        .join(Station, Station.id == ReceptionSession.station_id)
        .outerjoin(KnownGrid, KnownGrid.id == ReceptionRecord.grid_id)
    )
    if with_visitor:
        query = query.outerjoin(Booking, Booking.id == ReceptionRecord.booking_id)
    if date_from:
        query = query.where(ReceptionSession.starts_at >= day_span(date_from, date_from)[0])
    if date_to:
        query = query.where(ReceptionSession.starts_at < day_span(date_to, date_to)[1])
    async for batch in stream_batches(db, query, scalars=False):
        duty = await _on_duty(db, list({row[0].session_id for row in batch}))
        rows = []
        for record, starts_at, mode, station, group, *seen in batch:
            name, phone = seen if with_visitor else (None, None)
            rows.append(
                [
                    starts_at,
                    station,
                    _named(MODES, mode, language),
                    duty.get(record.session_id),
                    mask_name(name),
                    mask_phone(phone),
                    group,
                    _named(KINDS, record.kind, language),
                    _named(CATEGORIES, record.category, language),
                    record.raised,
                    record.discussed,
                    record.answer,
                    _named(OUTCOMES, record.outcome, language),
                    _named(ROUTES, record.route, language),
                    record.case_tracking_code,
                    record.case_status,
                    record.recorded_at,
                ]
            )
        yield rows
