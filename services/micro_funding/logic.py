"""Fund pool rules: one pool per year and name, and no per-project cap above the pool's total."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.models import FundPool
from services.micro_funding.schemas import FundPoolCreate
from shared import demo_city
from shared.pagination import PageParams, paginate
from shared.problems import Conflict, NotFound, Unprocessable
from shared.service import ServiceRuntime

DEMO_POOL_NAME = "民生微实事专项资金"
DEMO_AMOUNTS = {"total": "2000000.00", "service_cap": "200000.00", "goods_cap": "200000.00", "works_cap": "500000.00"}


def check_caps(total_fen: int, caps_fen: dict[str, int]) -> None:
    """Raise 422 unless the total is positive and each per-project cap (service/goods/works) fits in it."""
    if total_fen <= 0:
        raise Unprocessable("A fund pool needs a positive total.")
    over = sorted(kind for kind, cap in caps_fen.items() if cap > total_fen)
    if over:
        raise Unprocessable(f"These caps exceed the total: {', '.join(over)}.")


async def get_pool(session: AsyncSession, pool_id: str) -> FundPool:
    pool = await session.get(FundPool, pool_id)
    if pool is None:
        raise NotFound(f"No fund pool {pool_id}.")
    return pool


async def list_pools(
    session: AsyncSession, params: PageParams, *, year: int | None = None
) -> tuple[list[FundPool], int]:
    query = select(FundPool).order_by(FundPool.year.desc(), FundPool.name)
    if year is not None:
        query = query.where(FundPool.year == year)
    return await paginate(session, query, params)


async def _find(session: AsyncSession, year: int, name: str) -> str | None:
    return (
        await session.execute(select(FundPool.id).where(FundPool.year == year, FundPool.name == name))
    ).scalar_one_or_none()


async def create_pool(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: FundPoolCreate,
    *,
    pool_id: str | None = None,
    is_demo: bool = False,
) -> FundPool:
    """Validate and store a pool; `runtime` will emit funding events once the catalogue has them."""
    check_caps(data.total, {"service_cap": data.service_cap, "goods_cap": data.goods_cap, "works_cap": data.works_cap})
    if await _find(session, data.year, data.name):
        raise Conflict(f"A fund pool named {data.name} exists for {data.year}.")
    pool = FundPool(
        id=pool_id or str(uuid.uuid4()),
        year=data.year,
        name=data.name,
        total_fen=data.total,
        service_cap_fen=data.service_cap,
        goods_cap_fen=data.goods_cap,
        works_cap_fen=data.works_cap,
        is_demo=is_demo,
        created_at=datetime.now(UTC),
    )
    session.add(pool)
    await session.flush()
    return pool


async def seed_demo_pool(session: AsyncSession, runtime: ServiceRuntime, year: int | None = None) -> int:
    """Create the reference city's pool for `year` (this year by default) once; returns how many were created."""
    year = year or datetime.now(UTC).year
    if await _find(session, year, DEMO_POOL_NAME):
        return 0
    data = FundPoolCreate.model_validate({"year": year, "name": DEMO_POOL_NAME, **DEMO_AMOUNTS})
    await create_pool(session, runtime, data, pool_id=demo_city.stable_id(f"fund-pool:{year}"), is_demo=True)
    return 1
