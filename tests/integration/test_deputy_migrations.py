"""The deputy service's data migrations on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text

from shared.db import create_engine
from shared.migrations import alembic_config

BEFORE_WORDS_ERASED = "7e41c9a2d5b8"


async def _execute(settings: Any, statement: str, rows: list[dict[str, Any]] | None = None) -> list[tuple]:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), rows or {})
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_villagers_words_kept_from_v1_events_are_erased_from_the_inbox(databases, keys) -> None:
    settings = databases.settings("deputy", "nats://127.0.0.1:1", keys.public)
    config = alembic_config("services.deputy", settings)
    await asyncio.to_thread(command.upgrade, config, BEFORE_WORDS_ERASED)
    insert = (
        "INSERT INTO inbox_cases (deputy_id, case_id, tracking_code, grid_id, kind, category, summary, status, "
        "submitted_at, accept_due_at, updated_at) VALUES "
        "('d1', 'c1', 'SS-2612-00001', 'g1', 'dispute', 'neighbourhood', '邻居王五13812345678占我家地', "
        "'assigned', :at, :at, :at)"
    )
    await _execute(settings, insert, [{"at": datetime(2026, 12, 1, 9, tzinfo=UTC)}])
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _execute(settings, "SELECT summary FROM inbox_cases") == [("neighbourhood",)]
