"""The ledger on a real database: random operations through the service's own rules keep the books balanced,
and the database itself refuses to change or delete an entry."""

import uuid
from contextlib import AsyncExitStack

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from services.micro_funding.domain.ledger import Entry, EntryKind, replay
from services.micro_funding.logic.ledger import current_books, post_entry
from services.micro_funding.models import LedgerEntry, Project
from shared.errors import Conflict
from tests.integration.test_funding_support import START, create_pool, start_funding

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from([EntryKind.allocation, EntryKind.disbursement, EntryKind.release]),
        st.integers(min_value=0, max_value=2),
        st.integers(min_value=1, max_value=40_000),
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture
async def funding(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await start_funding(stack, nats_server, databases, keys)


async def _projects(runtime, pool_id: str) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    async with runtime.maker() as session:
        for project_id in ids:
            session.add(
                Project(
                    id=project_id,
                    pool_id=pool_id,
                    deputy_id=str(uuid.uuid4()),
                    owner="test",
                    kind="goods",
                    title="t",
                    description="d",
                    beneficiaries="b",
                    beneficiary_count=1,
                    budget_fen=0,
                    status="funded",
                    progress_percent=0,
                    rating_count=0,
                    rating_sum=0,
                    created_at=START,
                    updated_at=START,
                    version=1,
                )
            )
        await session.commit()
    return ids


async def _apply(runtime, pool_id: str, entry: Entry) -> bool:
    async with runtime.maker() as session:
        try:
            await post_entry(session, runtime, pool_id, entry, actor="property-test")
        except Conflict:
            return False
        await session.commit()
        return True


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS)
async def test_any_sequence_on_the_database_keeps_the_books(funding, operations):
    runtime = funding.service.runtime
    pool = await create_pool(funding, total="1000.00", service_cap="500.00", goods_cap="500.00", works_cap="500.00")
    projects = await _projects(runtime, pool["id"])
    for kind, index, amount in operations:
        await _apply(runtime, pool["id"], Entry(kind, amount, projects[index]))
    async with runtime.maker() as session:
        rows = (
            (
                await session.execute(
                    select(LedgerEntry).where(LedgerEntry.pool_id == pool["id"]).order_by(LedgerEntry.seq)
                )
            )
            .scalars()
            .all()
        )
        derived = [await current_books(session, pool["id"], project_id) for project_id in projects]
    books = replay(Entry(EntryKind(row.kind), row.amount_fen, row.project_id) for row in rows)
    assert books.balanced() and books.available >= 0
    assert all(book.available == books.available for book in derived)
    assert [book.balance(p) for book, p in zip(derived, projects, strict=True)] == [books.balance(p) for p in projects]
    assert rows[-1].pool_available_fen == books.available


async def test_the_database_refuses_to_change_or_delete_an_entry(funding):
    runtime = funding.service.runtime
    pool = await create_pool(funding)
    for statement in (
        "UPDATE ledger_entries SET amount_fen = amount_fen + 1",
        "DELETE FROM ledger_entries",
    ):
        async with runtime.maker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
    answer = await funding.client.get(f"/fund-pools/{pool['id']}/reconciliation", headers=funding.finance)
    assert answer.json()["balanced"] and answer.json()["appropriated"] == pool["total"]
