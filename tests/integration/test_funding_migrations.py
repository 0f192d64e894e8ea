"""micro_funding's grid projection moves from `retired` to the shared `status` column: the migration keeps
which grids were retired, both ways, on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import asyncio
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
