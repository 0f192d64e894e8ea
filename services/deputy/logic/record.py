"""The record of duty (履职档案): a deputy's own entries, and the one-record-per-fact rule that other services'
events follow too. A record that counts towards a statistic writes its fact once, however many deputies'
records name it; a visit is also published (deputy visit logged), without its notes."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.duty import DEFAULT_ROLES, ENTRY_FIVE_ONE, ENTRY_METRIC, VISITS
from services.deputy.logic.deputies import active_deputy, require_known_grid
from services.deputy.models import Deputy, DutyFact, DutyRecord
from services.deputy.schemas import EntryCreate, HouseholdVisitCreate
from shared import audit
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.messaging.catalogue import VisitLogged
from shared.service import ServiceRuntime

RECORD_CLOSED = "The deputy is retired; the record of duty is closed."


def new_record(
    deputy: Deputy, kind: str, source: str, fact_key: str, record_id: str | None = None, **values: Any
) -> DutyRecord:
    """A record on the deputy's record of duty: the kind's roles unless others are given, the deputy's home grid
    unless another is."""
    roles = values.pop("roles", None) or DEFAULT_ROLES[kind]
    grid_id = values.pop("grid_id", None) or deputy.home_grid_id
    return DutyRecord(
        id=record_id or str(uuid.uuid4()),
        deputy_id=deputy.id,
        kind=kind,
        source=source,
        roles=",".join(roles),
        grid_id=grid_id,
        fact_key=fact_key,
        created_at=datetime.now(UTC),
        **values,
    )


async def keep(session: AsyncSession, record: DutyRecord) -> None:
    """Add the record, and the fact it counts towards unless another deputy's record wrote it first."""
    session.add(record)
    if record.metric and await session.get(DutyFact, record.fact_key) is None:
        session.add(
            DutyFact(
                fact_key=record.fact_key,
                metric=record.metric,
                quantity=record.quantity,
                grid_id=record.grid_id,
                occurred_at=record.occurred_at,
            )
        )


async def record_once(session: AsyncSession, deputy_id: str, kind: str, fact_key: str, **values: Any) -> None:
    """One record per deputy and fact; a deputy unknown here (not registered with us) gets none."""
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None:
        return
    existing = (
        await session.execute(
            select(DutyRecord).where(DutyRecord.deputy_id == deputy_id, DutyRecord.fact_key == fact_key)
        )
    ).scalar_one_or_none()
    if existing is not None:  # e.g. a later mediation session of the same dispute, now with an agreement
        existing.five_one = existing.five_one or values.get("five_one")
        return
    await keep(session, new_record(deputy, kind, "event", fact_key, **values))


def details(data: EntryCreate | HouseholdVisitCreate) -> dict[str, Any]:
    """What a deputy writes of an entry or a visit, as record columns."""
    location = data.location
    return {
        "summary": data.summary,
        "notes": data.notes or None,
        "lat": location.lat if location else None,
        "lon": location.lon if location else None,
        "photos": json.dumps(data.photos) if data.photos else None,
        "occurred_at": data.occurred_at,
        "roles": [str(role) for role in data.roles],
    }


async def log_visit(session: AsyncSession, runtime: ServiceRuntime, record: DutyRecord) -> None:
    if record.kind in VISITS:
        visit = VisitLogged(
            visit_id=record.id,
            deputy_id=record.deputy_id,
            kind=record.kind,
            grid_id=record.grid_id,
            occurred_at=record.occurred_at,
            roles=record.roles.split(","),
        )
        await runtime.emit(session, visit, subject=record.deputy_id)


async def add_entry(
    session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: EntryCreate, *, by: Principal
) -> DutyRecord:
    """A deputy's own entry; a visit is also published (deputy visit logged), without its notes."""
    deputy = await active_deputy(session, deputy_id, RECORD_CLOSED)
    if data.visitors and data.kind != "reception":
        raise Unprocessable("Visitors are counted on reception duty only.")
    await require_known_grid(session, data.grid_id)
    entry_id = str(uuid.uuid4())
    record = new_record(
        deputy,
        data.kind,
        "entry",
        f"entry:{entry_id}",
        entry_id,
        grid_id=data.grid_id,
        place=data.place or None,
        metric=ENTRY_METRIC.get(data.kind),
        quantity=data.visitors if data.kind == "reception" else 1,
        five_one=ENTRY_FIVE_ONE.get(data.kind),
        **details(data),
    )
    await keep(session, record)
    await session.flush()
    await log_visit(session, runtime, record)
    detail = {"deputy_id": deputy.id, "kind": record.kind}
    await audit.record(session, by, "deputy.record.add", "duty_record", record.id, **detail)
    return record
