"""Fund pools and their books: one pool per year and name, caps within the total, an append-only ledger.

Every money write locks the pool's row first (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every
transaction already begins IMMEDIATE, so writers run one at a time), then derives the balances from the
entries and lets `ledger.Books` refuse what would overdraw. So concurrent approvals can never allocate
more than the pool holds, nor disbursements spend more than a project's allocation.
"""

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.ledger import Books, Entry, EntryKind, LedgerRefused
from services.micro_funding.models import FundPool, LedgerEntry, Project
from services.micro_funding.schemas import FundPoolCreate, Reconciliation, format_fen
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import (
    FundPoolCreated,
    LedgerAllocated,
    LedgerAppropriated,
    LedgerDisbursed,
    LedgerPosted,
    LedgerReleased,
)
from shared.pagination import PageParams, paginate
from shared.service import ServiceRuntime

LEDGER_EVENTS: dict[EntryKind, type[LedgerPosted]] = {
    EntryKind.appropriation: LedgerAppropriated,
    EntryKind.allocation: LedgerAllocated,
    EntryKind.disbursement: LedgerDisbursed,
    EntryKind.release: LedgerReleased,
}
FUNDED = ("funded", "in_progress", "accepted", "evaluated", "published")
MAX_PROBLEMS = 50


def check_caps(total_fen: int, caps_fen: dict[str, int]) -> None:
    """Raise 422 unless the total is positive and each per-project cap (service/goods/works) fits in it."""
    if total_fen <= 0:
        raise Unprocessable("A fund pool needs a positive total.")
    over = sorted(kind for kind, cap in caps_fen.items() if cap > total_fen)
    if over:
        raise Unprocessable(f"These caps exceed the total: {', '.join(over)}.")


def cap_of(pool: FundPool, kind: str) -> int:
    return {"service": pool.service_cap_fen, "goods": pool.goods_cap_fen, "works": pool.works_cap_fen}[kind]


async def get_pool(session: AsyncSession, pool_id: str) -> FundPool:
    pool = await session.get(FundPool, pool_id)
    if pool is None:
        raise NotFound(f"No fund pool {pool_id}.")
    return pool


async def lock_pool(session: AsyncSession, pool_id: str) -> FundPool:
    """The pool's row, locked until the transaction ends: the one gate every money write passes."""
    query = select(FundPool).where(FundPool.id == pool_id).with_for_update()
    pool = (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()
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
    actor: str = "system",
    pool_id: str | None = None,
    is_demo: bool = False,
) -> FundPool:
    """Validate and store a pool, and book its total as the pool's first ledger entry (the appropriation)."""
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
        created_at=runtime.clock.now(),
    )
    session.add(pool)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent create of the same year and name won
        raise Conflict(f"A fund pool named {data.name} exists for {data.year}.") from error
    await runtime.emit(session, _pool_created(pool), subject=pool.id)
    await post_entry(session, runtime, pool.id, Entry(EntryKind.appropriation, data.total), actor=actor)
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


# ---------------------------------------------------------------- the ledger


async def _totals(session: AsyncSession, pool_id: str, project_id: str | None = None) -> dict[EntryKind, int]:
    query = select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.pool_id == pool_id)
    if project_id is not None:
        query = query.where(LedgerEntry.project_id == project_id)
    sums = dict((await session.execute(query.group_by(LedgerEntry.kind))).all())
    return {kind: int(sums.get(kind.value) or 0) for kind in EntryKind}


async def current_books(session: AsyncSession, pool_id: str, project_id: str | None = None) -> Books:
    """The pool's balances (and one project's) derived from the entries, as `Books`."""
    totals = await _totals(session, pool_id)
    available = totals[EntryKind.appropriation] - totals[EntryKind.allocation] + totals[EntryKind.release]
    projects = {}
    if project_id is not None:
        own = await _totals(session, pool_id, project_id)
        projects[project_id] = own[EntryKind.allocation] - own[EntryKind.disbursement] - own[EntryKind.release]
    return Books(available=available, projects=projects, totals=totals)


async def post_entry(
    session: AsyncSession,
    runtime: ServiceRuntime,
    pool_id: str,
    entry: Entry,
    *,
    actor: str,
    note: str = "",
    reference: str = "",
) -> LedgerEntry:
    """Lock the pool, check the entry against the derived balances, append it and stage its event."""
    await lock_pool(session, pool_id)
    books = await current_books(session, pool_id, entry.project_id)
    try:
        books.post(entry)
    except LedgerRefused as error:
        raise Conflict(str(error)) from error
    row = LedgerEntry(
        id=str(uuid.uuid4()),
        pool_id=pool_id,
        project_id=entry.project_id,
        kind=entry.kind.value,
        amount_fen=entry.amount,
        pool_available_fen=books.available,
        project_balance_fen=books.balance(entry.project_id) if entry.project_id else None,
        note=note,
        reference=reference,
        actor=actor,
        at=runtime.clock.now(),
    )
    session.add(row)
    await session.flush()
    await runtime.emit(session, _ledger_event(row), subject=pool_id)
    return row


def _ledger_event(row: LedgerEntry) -> LedgerPosted:
    balance = row.project_balance_fen
    return LEDGER_EVENTS[EntryKind(row.kind)](
        entry_id=row.id,
        seq=row.seq,
        pool_id=row.pool_id,
        project_id=row.project_id,
        amount=format_fen(row.amount_fen),
        pool_available=format_fen(row.pool_available_fen),
        project_balance=format_fen(balance) if balance is not None else None,
        at=row.at,
    )


async def list_entries(
    session: AsyncSession,
    params: PageParams,
    *,
    pool_id: str | None = None,
    project_id: str | None = None,
    kind: str | None = None,
) -> tuple[list[LedgerEntry], int]:
    query = select(LedgerEntry).order_by(LedgerEntry.seq)
    if pool_id is not None:
        query = query.where(LedgerEntry.pool_id == pool_id)
    if project_id is not None:
        query = query.where(LedgerEntry.project_id == project_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    return await paginate(session, query, params)


# ---------------------------------------------------------------- reconciliation


def _replay_rows(rows: list[LedgerEntry], problems: list[str]) -> Books:
    """Replay the amounts in order; note every refused entry and every stored balance that differs."""
    books = Books()
    for row in rows:
        entry = Entry(EntryKind(row.kind), row.amount_fen, row.project_id)
        try:
            books.post(entry)
        except LedgerRefused as error:
            problems.append(f"entry {row.seq}: {error}")
            continue
        if books.available != row.pool_available_fen:
            problems.append(f"entry {row.seq}: pool balance kept {row.pool_available_fen}, replayed {books.available}")
        if row.project_id and books.balance(row.project_id) != row.project_balance_fen:
            problems.append(f"entry {row.seq}: project balance kept {row.project_balance_fen}, replayed differs")
    return books


async def _allocation_problems(session: AsyncSession, pool: FundPool) -> tuple[int, list[str]]:
    """Funded projects hold exactly one allocation of their budget; others hold none."""
    allocated = dict(
        (
            await session.execute(
                select(LedgerEntry.project_id, func.sum(LedgerEntry.amount_fen))
                .where(LedgerEntry.pool_id == pool.id, LedgerEntry.kind == EntryKind.allocation.value)
                .group_by(LedgerEntry.project_id)
            )
        ).all()
    )
    projects = (
        await session.execute(select(Project.id, Project.status, Project.budget_fen).where(Project.pool_id == pool.id))
    ).all()
    problems, funded = [], 0
    for project_id, status, budget in projects:
        expected = budget if status in FUNDED else 0
        funded += status in FUNDED
        if int(allocated.pop(project_id, 0) or 0) != expected:
            problems.append(f"project {project_id} ({status}) is not allocated exactly {expected} fen")
    problems += [f"allocation to unknown project {project_id}" for project_id in allocated]
    return funded, problems


async def reconcile(session: AsyncSession, pool_id: str) -> Reconciliation:
    """Prove the books of a pool balance: replay, compare with the kept balances and with the projects."""
    pool = await get_pool(session, pool_id)
    rows = list(
        (await session.execute(select(LedgerEntry).where(LedgerEntry.pool_id == pool_id).order_by(LedgerEntry.seq)))
        .scalars()
        .all()
    )
    problems: list[str] = []
    books = _replay_rows(rows, problems)
    if books.totals[EntryKind.appropriation] != pool.total_fen:
        problems.append(f"appropriations {books.totals[EntryKind.appropriation]} differ from the pool total")
    funded, project_problems = await _allocation_problems(session, pool)
    problems += project_problems
    if not books.balanced():
        problems.append("appropriated differs from available + held + disbursed")
    return Reconciliation(
        pool_id=pool.id,
        entries=len(rows),
        appropriated=books.totals[EntryKind.appropriation],
        allocated=books.totals[EntryKind.allocation],
        disbursed=books.totals[EntryKind.disbursement],
        released=books.totals[EntryKind.release],
        available=books.available,
        held=books.held,
        funded_projects=funded,
        balanced=not problems,
        problems=problems[:MAX_PROBLEMS],
    )
