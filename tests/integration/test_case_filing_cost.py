"""What a filing costs the database (docs/performance.md): a budget of statements an integrator's filing may not
exceed, and the tracking code's uniqueness kept by the case's own INSERT when a drawn code is taken."""

import uuid
from collections import Counter
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import event, func, select

from services.case_intake.logic import filing
from services.case_intake.models import Case
from shared.logs import request_id_var
from tests.integration.city import build_town

BUDGET = 7
"""Statements of one filing with an Idempotency-Key, BEGIN aside: the key's look-up, the grid with its deputies,
the case, its steps, its assignees, the outbox row, the key with the answer."""


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


def _statements_of(town, request_id: str) -> Counter[str]:  # type: ignore[no-untyped-def]
    """The statements run for the request `request_id` (not the relay's or the consumers', which run beside it)."""
    seen: Counter[str] = Counter()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if request_id_var.get() == request_id:
            seen[" ".join(statement.split()[:3])] += 1

    event.listen(town.case_intake.runtime.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def test_a_filing_costs_at_most_its_budget_of_statements_and_reads_nothing_back(town):
    body = {"kind": "request", "category": "roads", "description": "村口的桥栏杆坏了。", "grid_id": town.group_id}
    warm = await town.client.post("/cases", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert warm.status_code == 201, warm.text  # the reference data (categories, holidays) is cached from here on

    request_id = f"cost-{uuid.uuid4().hex}"
    seen = _statements_of(town, request_id)
    headers = {"Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": request_id}
    answer = await town.client.post("/cases", json=body, headers=headers)

    assert answer.status_code == 201, answer.text
    assert answer.json()["assigned_deputy_ids"] == [town.deputy_id]
    statements = {kind: count for kind, count in seen.items() if not kind.upper().startswith("BEGIN")}
    assert sum(statements.values()) <= BUDGET, statements
    assert not [kind for kind in statements if kind.upper().startswith(("UPDATE", "DELETE"))], statements

    again = await town.client.post("/cases", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == answer.json()
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_a_drawn_tracking_code_that_is_taken_is_drawn_again(town, monkeypatch):
    taken = (await town.file())["tracking_code"]
    fresh = "SS-0000-0000-0001"
    drawn = iter([taken, taken, fresh])
    monkeypatch.setattr(filing, "new_tracking_code", lambda: next(drawn))

    answer = await town.client.post(
        "/cases",
        json={"kind": "request", "category": "water", "description": "路灯不亮。", "grid_id": town.group_id},
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["tracking_code"] == fresh
    async with town.case_intake.runtime.maker() as session:
        codes = (await session.execute(select(Case.tracking_code, func.count()).group_by(Case.tracking_code))).all()
    assert sorted(codes) == sorted([(taken, 1), (fresh, 1)])
    tracked = await town.client.get(f"/cases/track/{fresh}")
    assert tracked.status_code == 200 and tracked.json()["description"] == "路灯不亮。"
