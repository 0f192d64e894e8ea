"""The record of duty and the support pairs as the caller may see them: the public sees what, when and where
(grid) of a record (no summary of a household visit, phone and identity numbers masked); notes, place, GPS,
photos and case links only the deputy and staff. A household's name is masked but for the deputy and the
office."""

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.duty import public_summary
from services.deputy.domain.periods import EARLIEST, LATEST, day_range
from services.deputy.models import DutyRecord, SupportPair
from services.deputy.schemas import DutyRecordRead, FiveRole, LatLon, SupportPairRead
from services.deputy.views import page
from shared.pagination import Page, PageParams, paginate
from shared.privacy import mask_name


def record_read(record: DutyRecord, private: bool) -> DutyRecordRead:
    answer = DutyRecordRead(
        id=record.id,
        deputy_id=record.deputy_id,
        kind=record.kind,
        source=record.source,
        roles=[FiveRole(role) for role in record.roles.split(",") if role],
        occurred_at=record.occurred_at,
        grid_id=record.grid_id,
        summary=record.summary if private else public_summary(record.kind, record.summary),
        five_one=record.five_one,
        visitors=record.quantity if record.kind == "reception" else None,
    )
    if private:
        answer.notes, answer.place, answer.case_id, answer.pair_id = (
            record.notes,
            record.place,
            record.case_id,
            record.pair_id,
        )
        answer.photos = json.loads(record.photos) if record.photos else []
        answer.location = LatLon(lat=record.lat, lon=record.lon) if record.lat is not None else None
    return answer


async def list_record(
    session: AsyncSession,
    deputy_id: str,
    params: PageParams,
    *,
    private: bool,
    date_from: date | None = None,
    date_to: date | None = None,
    kind: str | None = None,
    role: str | None = None,
) -> Page[DutyRecordRead]:
    """A deputy's record of duty, the latest first."""
    query = select(DutyRecord).where(DutyRecord.deputy_id == deputy_id)
    if date_from or date_to:
        start, end = day_range(date_from or EARLIEST, date_to or LATEST)
        query = query.where(DutyRecord.occurred_at >= start, DutyRecord.occurred_at < end)
    if kind:
        query = query.where(DutyRecord.kind == kind)
    if role:
        query = query.where(DutyRecord.roles.contains(role))
    items, total = await paginate(session, query.order_by(DutyRecord.occurred_at.desc(), DutyRecord.id), params)
    return page([record_read(item, private) for item in items], total, params)


def pair_read(pair: SupportPair, full: bool) -> SupportPairRead:
    return SupportPairRead(
        id=pair.id,
        deputy_id=pair.deputy_id,
        household=pair.household if full else mask_name(pair.household),
        need=pair.need,
        grid_id=pair.grid_id,
        starts_on=pair.starts_on,
        ends_on=pair.ends_on,
    )


async def list_pairs(session: AsyncSession, deputy_id: str, params: PageParams, *, full: bool) -> Page[SupportPairRead]:
    """The households a deputy supports, the latest pair first."""
    query = select(SupportPair).where(SupportPair.deputy_id == deputy_id).order_by(SupportPair.starts_on.desc())
    items, total = await paginate(session, query.order_by(SupportPair.id), params)
    return page([pair_read(item, full) for item in items], total, params)
