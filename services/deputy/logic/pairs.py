"""Household support pairs (结对帮扶): a deputy paired with a household in difficulty, from a day to a day."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.logic.deputies import active_deputy, require_known_grid
from services.deputy.logic.record import RECORD_CLOSED
from services.deputy.models import SupportPair
from services.deputy.schemas import SupportPairCreate, SupportPairEnd
from shared import audit
from shared.auth import Principal
from shared.clock import today
from shared.errors import Conflict, NotFound, Unprocessable
from shared.service import ServiceRuntime


async def get_pair(session: AsyncSession, pair_id: str) -> SupportPair:
    pair = await session.get(SupportPair, pair_id)
    if pair is None:
        raise NotFound("No support pair {pair_id}.", params={"pair_id": pair_id})
    return pair


async def add_pair(
    session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: SupportPairCreate, *, by: Principal
) -> SupportPair:
    deputy = await active_deputy(session, deputy_id, RECORD_CLOSED)
    if data.starts_on > today(runtime):
        raise Unprocessable("A support pair starts today or on a past day.")
    await require_known_grid(session, data.grid_id)
    pair = SupportPair(
        id=str(uuid.uuid4()),
        deputy_id=deputy.id,
        grid_id=data.grid_id or deputy.home_grid_id,
        ends_on=None,
        created_at=datetime.now(UTC),
        **data.model_dump(exclude={"grid_id"}),
    )
    session.add(pair)
    await session.flush()
    await audit.record(session, by, "deputy.support_pair.add", "support_pair", pair.id, deputy_id=deputy.id)
    return pair


async def end_pair(
    session: AsyncSession, runtime: ServiceRuntime, pair_id: str, data: SupportPairEnd, *, by: Principal
) -> SupportPair:
    pair = await get_pair(session, pair_id)
    if pair.ends_on is not None:
        raise Conflict("The support pair has ended.")
    if not pair.starts_on <= data.ends_on <= today(runtime):
        raise Unprocessable("The end date must lie between the start date and today.")
    pair.ends_on = data.ends_on
    await session.flush()
    detail = {"deputy_id": pair.deputy_id, "ends_on": pair.ends_on}
    await audit.record(session, by, "deputy.support_pair.end", "support_pair", pair.id, **detail)
    return pair


async def households_read(session: AsyncSession, deputy_id: str, pair_ids: list[str], principal: Principal) -> None:
    """The households of a deputy's support pairs were read unmasked (by the deputy or the office): written to
    the audit log (`deputy.support_pair.read`, the pairs' ids) before they are answered."""
    await audit.record_read(session, principal, "deputy.support_pair.read", "deputy", deputy_id, pair_ids=pair_ids)
