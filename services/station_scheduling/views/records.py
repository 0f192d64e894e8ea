"""Reception records and rotas as shown: records newest first, a rota with its pool, skipped days and sessions."""

import json

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import DutyDeputy, ReceptionRecord, ReceptionSession, Rota
from services.station_scheduling.schemas import RecordRead, RotaRead
from shared.pagination import Page, PageParams, paginate


def record_read(record: ReceptionRecord) -> RecordRead:
    return RecordRead.model_validate(record)


async def record_page(db: AsyncSession, params: PageParams, **filters: str | None) -> Page[RecordRead]:
    """A page of records (`records_query`)."""
    items, total = await paginate(db, records_query(**filters), params)
    return Page(items=[record_read(item) for item in items], total=total, **params.model_dump())


def records_query(
    *,
    session_id: str | None = None,
    station_id: str | None = None,
    outcome: str | None = None,
    duty_of: str | None = None,
) -> Select[tuple[ReceptionRecord]]:
    """Records, newest first; `duty_of` keeps those of the sessions a deputy was on duty at (GET /records and
    its export)."""
    query = select(ReceptionRecord).order_by(ReceptionRecord.recorded_at.desc(), ReceptionRecord.id)
    if session_id:
        query = query.where(ReceptionRecord.session_id == session_id)
    if station_id:
        query = query.where(ReceptionRecord.station_id == station_id)
    if outcome:
        query = query.where(ReceptionRecord.outcome == outcome)
    if duty_of is not None:
        sessions = select(DutyDeputy.session_id).where(DutyDeputy.deputy_id == duty_of)
        query = query.where(ReceptionRecord.session_id.in_(sessions))
    return query


async def rota_read(db: AsyncSession, rota: Rota) -> RotaRead:
    query = select(ReceptionSession.id).where(ReceptionSession.rota_id == rota.id).order_by(ReceptionSession.starts_at)
    fields = {name: getattr(rota, name) for name in RotaRead.model_fields if hasattr(rota, name)}
    fields.update(
        pool=json.loads(rota.pool),
        skipped=json.loads(rota.skipped),
        session_ids=list((await db.execute(query)).scalars()),
    )
    return RotaRead.model_validate(fields)


async def rota_page(db: AsyncSession, params: PageParams, *, station_id: str | None = None) -> Page[RotaRead]:
    query = select(Rota).order_by(Rota.created_at.desc(), Rota.id)
    if station_id:
        query = query.where(Rota.station_id == station_id)
    items, total = await paginate(db, query, params)
    return Page(items=[await rota_read(db, item) for item in items], total=total, **params.model_dump())
