"""Each service's migrations build exactly the tables its models declare (no drift either way): a model
change without its migration, or a hand-written migration that differs from the model, fails here."""

import asyncio
from importlib import import_module

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from shared.config import SERVICE_PACKAGES, SERVICES, Settings
from shared.migrations import upgrade


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
async def test_the_migrated_database_matches_the_models(tmp_path, name) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/{name}.db"
    await asyncio.to_thread(upgrade, SERVICE_PACKAGES[name], Settings(service_name=name, database_url=url))
    metadata = import_module(f"{SERVICE_PACKAGES[name]}.models").Base.metadata
    engine = create_engine(f"sqlite:///{tmp_path}/{name}.db")
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    finally:
        engine.dispose()
