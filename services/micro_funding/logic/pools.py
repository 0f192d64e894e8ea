"""Fund pools: one pool per year and name, caps within the total, the total booked as the first ledger entry.

Every money write locks the pool's row first (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every
transaction already begins IMMEDIATE, so writers run one at a time): `lock_pool` is that gate.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain.ledger import Entry, EntryKind
from services.micro_funding.domain.money import format_fen
from services.micro_funding.domain.pools import check_caps
from services.micro_funding.logic.ledger import post_entry
from services.micro_funding.models import FundPool
from services.micro_funding.schemas import FundPoolCreate
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.messaging.catalogue import FundPoolCreated
from shared.service import ServiceRuntime


def cap_of(pool: FundPool, kind: str) -> int:
    return {"service": pool.service_cap_fen, "goods": pool.goods_cap_fen, "works": pool.works_cap_fen}[kind]


async def get_pool(session: AsyncSession, pool_id: str) -> FundPool:
    pool = await session.get(FundPool, pool_id)
    if pool is None:
        raise NotFound("No fund pool {pool_id}.", params={"pool_id": pool_id})
    return pool


async def find_pool(session: AsyncSession, year: int, name: str) -> str | None:
    """The id of the pool of `year` named `name`, if there is one."""
    return (
        await session.execute(select(FundPool.id).where(FundPool.year == year, FundPool.name == name))
    ).scalar_one_or_none()


async def create_pool(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: FundPoolCreate,
    *,
    actor: str = "system",
    pool_id: str | None = None,
    is_demo: bool = False,
    by: Principal | None = None,
) -> FundPool:
    """Validate and store a pool, and book its total as the pool's first ledger entry (the appropriation); `by`:
    the official who creates it (audited), none for the demo."""
    check_caps(data.total, {"service_cap": data.service_cap, "goods_cap": data.goods_cap, "works_cap": data.works_cap})
    if await find_pool(session, data.year, data.name):
        raise Conflict("A fund pool named {name} exists for {year}.", params={"name": data.name, "year": data.year})
    pool = FundPool(
        id=pool_id or str(uuid.uuid4()),
        year=data.year,
        name=data.name,
        total_fen=data.total,
        service_cap_fen=data.service_cap,
        goods_cap_fen=data.goods_cap,
        works_cap_fen=data.works_cap,
        is_demo=is_demo,
        created_at=runtime.clock.now(),
    )
    session.add(pool)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent create of the same year and name won
        raise Conflict(
            "A fund pool named {name} exists for {year}.", params={"name": data.name, "year": data.year}
        ) from error
    await runtime.emit(session, _pool_created(pool), subject=pool.id)
    await post_entry(session, runtime, pool.id, Entry(EntryKind.appropriation, data.total), actor=actor)
    if by is not None:
        await audit.record(session, by, "funding.pool.create", "pool", pool.id, total=format_fen(pool.total_fen))
    return pool


def _pool_created(pool: FundPool) -> FundPoolCreated:
    return FundPoolCreated(
        pool_id=pool.id,
        year=pool.year,
        name=pool.name,
        total=format_fen(pool.total_fen),
        service_cap=format_fen(pool.service_cap_fen),
        goods_cap=format_fen(pool.goods_cap_fen),
        works_cap=format_fen(pool.works_cap_fen),
    )
