"""The demo city's micro-project fund pool for the year."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from devstack.demo import city as demo_city
from services.micro_funding.logic.pools import create_pool, find_pool
from services.micro_funding.schemas import FundPoolCreate
from shared.service import ServiceRuntime

DEMO_POOL_NAME = "民生微实事专项资金"
DEMO_AMOUNTS = {"total": "2000000.00", "service_cap": "200000.00", "goods_cap": "200000.00", "works_cap": "500000.00"}


async def seed(session: AsyncSession, runtime: ServiceRuntime, year: int | None = None) -> int:
    """Create the reference city's pool for `year` (this year by default) once; returns how many were created."""
    year = year or datetime.now(UTC).year
    if await find_pool(session, year, DEMO_POOL_NAME):
        return 0
    data = FundPoolCreate.model_validate({"year": year, "name": DEMO_POOL_NAME, **DEMO_AMOUNTS})
    pool_id = demo_city.stable_id(f"fund-pool:{year}")
    await create_pool(session, runtime, data, actor="demo-seed", pool_id=pool_id, is_demo=True)
    return 1
