"""micro_funding's grid projection moves from `retired` to the shared `status` column: the migration keeps
which grids were retired, both ways, on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text

from shared.db import create_engine
from shared.migrations import alembic_config

BEFORE_STATUS = "0bfdca926dd0"
GRIDS = [("g-active", False), ("g-retired", True)]


async def _execute(settings: Any, statement: str, rows: list[dict[str, Any]] | None = None) -> list[tuple]:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), rows or {})
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_retired_grids_stay_retired_through_the_status_migration(databases, keys) -> None:
    settings = databases.settings("micro_funding", "nats://127.0.0.1:1", keys.public)
    config = alembic_config("services.micro_funding", settings)
    await asyncio.to_thread(command.upgrade, config, BEFORE_STATUS)
    rows = [
        {"id": grid_id, "code": grid_id, "name": grid_id, "level": "village", "retired": retired}
        for grid_id, retired in GRIDS
    ]
    insert = "INSERT INTO known_grids (id, code, name, level, parent_id, retired, version) "
    await _execute(settings, insert + "VALUES (:id, :code, :name, :level, NULL, :retired, 1)", rows)

    await asyncio.to_thread(command.upgrade, config, "head")
    statuses = await _execute(settings, "SELECT id, status FROM known_grids ORDER BY id")
    assert statuses == [("g-active", "active"), ("g-retired", "retired")]
    new = {"id": "g-new", "code": "g-new", "name": "g-new", "level": "group"}
    insert = "INSERT INTO known_grids (id, code, name, level, version) VALUES (:id, :code, :name, :level, 1)"
    await _execute(settings, insert, [new])
    assert await _execute(settings, "SELECT status FROM known_grids WHERE id = 'g-new'") == [("active",)]

    await asyncio.to_thread(command.downgrade, config, BEFORE_STATUS)
    retired = await _execute(settings, "SELECT id, retired FROM known_grids ORDER BY id")
    assert [(grid_id, bool(flag)) for grid_id, flag in retired] == sorted([*GRIDS, ("g-new", False)])


BEFORE_SIGNED_IN_OBJECTIONS = "ae23992a8ffa"


async def test_anonymous_objections_from_before_sign_in_was_required_survive_the_migration(databases, keys) -> None:
    """Two pending anonymous objections to one project (allowed before) do not break the one-pending-objection-
    per-account index, and the migration goes down and up again."""
    settings = databases.settings("micro_funding", "nats://127.0.0.1:1", keys.public)
    config = alembic_config("services.micro_funding", settings)
    await asyncio.to_thread(command.upgrade, config, BEFORE_SIGNED_IN_OBJECTIONS)
    at = datetime(2026, 3, 2, 1, tzinfo=UTC)
    await _execute(
        settings,
        "INSERT INTO fund_pools (id, year, name, total_fen, service_cap_fen, goods_cap_fen, works_cap_fen, is_demo, "
        "created_at) VALUES ('pool', 2026, 'p', 100, 100, 100, 100, false, :at)",
        [{"at": at}],
    )
    await _execute(
        settings,
        "INSERT INTO projects (id, pool_id, deputy_id, owner, kind, title, description, beneficiaries, "
        "beneficiary_count, budget_fen, status, progress_percent, rating_count, rating_sum, created_at, updated_at, "
        "version) "
        "VALUES ('project', 'pool', 'd', 'o', 'goods', 't', 'd', 'b', 1, 10, 'in_notice', 0, 0, 0, :at, :at, 1)",
        [{"at": at}],
    )
    insert = (
        "INSERT INTO objections (id, project_id, text, objector, status, raised_at) "
        "VALUES (:id, 'project', 'no', NULL, 'pending', :at)"
    )
    await _execute(settings, insert, [{"id": "o1", "at": at}, {"id": "o2", "at": at}])

    await asyncio.to_thread(command.upgrade, config, "head")
    rows = await _execute(settings, "SELECT id, objector, address, ruled_by FROM objections ORDER BY id")
    assert rows == [("o1", None, None, None), ("o2", None, None, None)]
    await asyncio.to_thread(command.downgrade, config, BEFORE_SIGNED_IN_OBJECTIONS)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert len(await _execute(settings, "SELECT id FROM objections")) == 2
