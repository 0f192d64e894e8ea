"""The five ones (五个一) of a year: each done or not for one deputy with the records behind it, and the
active deputies who are behind, the furthest behind first."""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.five_ones import FIVE_ONES, all_done, missing
from services.deputy.domain.periods import year_range
from services.deputy.models import Deputy, DutyRecord, KnownGrid
from services.deputy.schemas import BehindPage, FiveOnes
from services.deputy.views.record import record_read
from shared.pagination import PageParams


async def five_ones(session: AsyncSession, deputy_id: str, year: int, evidence: int = 5) -> FiveOnes:
    """Each of the five ones done or not in the year, with up to `evidence` records behind each."""
    start, end = year_range(year)
    query = (
        select(DutyRecord)
        .where(
            DutyRecord.deputy_id == deputy_id,
            DutyRecord.five_one.is_not(None),
            DutyRecord.occurred_at >= start,
            DutyRecord.occurred_at < end,
        )
        .order_by(DutyRecord.occurred_at, DutyRecord.id)
    )
    found: dict[str, list[DutyRecord]] = defaultdict(list)
    for record in (await session.execute(query)).scalars():
        found[record.five_one or ""].append(record)
    items = [
        {
            "item": item,
            "done": bool(found[item]),
            "evidence": [record_read(record, True) for record in found[item][:evidence]],
        }
        for item in FIVE_ONES
    ]
    done = sum(bool(item["done"]) for item in items)
    return FiveOnes.model_validate({"deputy_id": deputy_id, "year": year, "done": done, "items": items})


async def behind(session: AsyncSession, year: int, params: PageParams, *, township_id: str | None = None) -> BehindPage:
    """Active deputies who have not yet done all five ones this year, the furthest behind first."""
    start, end = year_range(year)
    done_query = (
        select(DutyRecord.deputy_id, DutyRecord.five_one)
        .where(DutyRecord.five_one.is_not(None), DutyRecord.occurred_at >= start, DutyRecord.occurred_at < end)
        .distinct()
    )
    done: dict[str, set[str]] = defaultdict(set)
    for deputy_id, item in (await session.execute(done_query)).all():
        done[deputy_id].add(item)
    deputies = select(Deputy).where(Deputy.status == "active").order_by(Deputy.code)
    if township_id:
        homes = select(KnownGrid.id).where(KnownGrid.township_id == township_id)
        deputies = deputies.where(Deputy.home_grid_id.in_(homes))
    rows = [
        {
            "deputy_id": deputy.id,
            "code": deputy.code,
            "name": deputy.name,
            "district": deputy.district,
            "done": len(done[deputy.id]),
            "missing": missing(done[deputy.id]),
        }
        for deputy in (await session.execute(deputies)).scalars()
        if not all_done(done[deputy.id])
    ]
    rows.sort(key=lambda row: row["done"])
    return BehindPage.model_validate(
        {
            "items": rows[params.offset : params.offset + params.limit],
            "total": len(rows),
            "year": year,
            **params.model_dump(),
        }
    )
