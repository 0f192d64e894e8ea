"""Posting to a pool's append-only ledger, the one way money moves.

The pool's row is locked first, the balances are derived from the entries, and `domain.ledger.Books` refuses
what would overdraw: so concurrent approvals can never allocate more than the pool holds, nor disbursements
spend more than a project's allocation.
"""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain.ledger import Books, Entry, EntryKind, LedgerRefused
from services.micro_funding.domain.money import format_fen
from services.micro_funding.models import FundPool, LedgerEntry
from shared.errors import Conflict, NotFound
from shared.messaging.catalogue import (
    LedgerAllocated,
    LedgerAppropriated,
    LedgerDisbursed,
    LedgerPosted,
    LedgerReleased,
)
from shared.service import ServiceRuntime

LEDGER_EVENTS: dict[EntryKind, type[LedgerPosted]] = {
    EntryKind.appropriation: LedgerAppropriated,
    EntryKind.allocation: LedgerAllocated,
    EntryKind.disbursement: LedgerDisbursed,
    EntryKind.release: LedgerReleased,
}


async def lock_pool(session: AsyncSession, pool_id: str) -> FundPool:
    """The pool's row, locked until the transaction ends: the one gate every money write passes."""
    query = select(FundPool).where(FundPool.id == pool_id).with_for_update()
    pool = (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()
    if pool is None:
        raise NotFound("No fund pool {pool_id}.", params={"pool_id": pool_id})
    return pool


async def _totals(session: AsyncSession, pool_id: str, project_id: str | None = None) -> dict[EntryKind, int]:
    query = select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.pool_id == pool_id)
    if project_id is not None:
        query = query.where(LedgerEntry.project_id == project_id)
    sums = {kind: amount for kind, amount in await session.execute(query.group_by(LedgerEntry.kind))}
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
        raise Conflict(error.message, params=error.params) from error
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
