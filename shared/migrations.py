"""Alembic, one environment per service: `python -m shared.migrations <service>` upgrades it to head."""

import asyncio
import sys
from importlib import import_module
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from shared.config import SERVICE_PACKAGES, SERVICES, Settings
from shared.db import create_engine, is_sqlite


def alembic_config(package: str, settings: Settings) -> Config:
    """`package` is a dotted module path such as `services.grid` or `gateway`."""
    folder = Path(import_module(package).__file__ or "").parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.attributes["settings"] = settings
    return config


def upgrade(package: str, settings: Settings) -> None:
    command.upgrade(alembic_config(package, settings), "head")


def run_environment(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    settings: Settings = context.config.attributes["settings"]
    if context.is_offline_mode():
        context.configure(url=settings.database_url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(settings, metadata))


def _configure_and_run(connection: Connection, metadata: MetaData, sqlite: bool) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=sqlite)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(settings: Settings, metadata: MetaData) -> None:
    engine = create_engine(settings)
    sqlite = is_sqlite(settings.database_url)
    async with engine.connect() as connection:
        if settings.database_schema and not sqlite:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.database_schema}"'))
            await connection.commit()
        await connection.run_sync(_configure_and_run, metadata, sqlite)
        await connection.commit()
    await engine.dispose()


def new_revision(name: str, message: str) -> None:
    """Autogenerate a revision from the models against a scratch SQLite database at head."""
    import shutil
    import tempfile

    config = alembic_config(SERVICE_PACKAGES[name], Settings(service_name=name))
    template = Path(__file__).with_name("alembic_script.py.mako")
    folder = Path(config.get_main_option("script_location") or "")
    with tempfile.TemporaryDirectory() as scratch:
        config.attributes["settings"] = Settings(
            service_name=name, database_url=f"sqlite+aiosqlite:///{scratch}/scratch.db"
        )
        shutil.copy(template, folder / "script.py.mako")
        try:
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True)
        finally:
            (folder / "script.py.mako").unlink()


def main(argv: list[str]) -> None:
    """`python -m shared.migrations [service ...]` upgrades; `... revision <service> <message>` adds one.

    `--schema-per-service` upgrades every service and the gateway, each in a PostgreSQL schema of its name
    (the production layout: one server, one schema a service).
    """
    if argv[:1] == ["revision"]:
        new_revision(argv[1], argv[2])
        return
    if argv[:1] == ["--schema-per-service"]:
        for name in [*SERVICES, "gateway"]:
            upgrade(SERVICE_PACKAGES[name], Settings(service_name=name, database_schema=name))
        return
    for name in argv or SERVICES:
        upgrade(SERVICE_PACKAGES[name], Settings(service_name=name))


if __name__ == "__main__":
    main(sys.argv[1:])
