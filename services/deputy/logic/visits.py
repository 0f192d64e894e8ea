"""Visits to a supported household: each is the evidence of the year's 'support one household' (五个一)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.periods import china_date
from services.deputy.logic.deputies import active_deputy
from services.deputy.logic.record import RECORD_CLOSED, details, log_visit, new_record
from services.deputy.models import DutyRecord, SupportPair
from services.deputy.schemas import HouseholdVisitCreate
from shared import audit
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.service import ServiceRuntime


async def add_household_visit(
    session: AsyncSession, runtime: ServiceRuntime, pair: SupportPair, data: HouseholdVisitCreate, *, by: Principal
) -> DutyRecord:
    """A visit to a supported household: the evidence of the year's 'support one household'."""
    deputy = await active_deputy(session, pair.deputy_id, RECORD_CLOSED)
    if china_date(data.occurred_at) < pair.starts_on:
        raise Unprocessable("The visit lies before the support pair started.")
    visit_id = str(uuid.uuid4())
    record = new_record(
        deputy,
        "household_visit",
        "entry",
        f"entry:{visit_id}",
        visit_id,
        grid_id=pair.grid_id,
        pair_id=pair.id,
        five_one="household",
        **details(data),
    )
    session.add(record)
    await session.flush()
    await log_visit(session, runtime, record)
    detail = {"deputy_id": deputy.id, "pair_id": pair.id}
    await audit.record(session, by, "deputy.household_visit.add", "duty_record", record.id, **detail)
    return record
