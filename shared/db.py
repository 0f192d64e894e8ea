"""Async SQLAlchemy engines and sessions for SQLite (development) and PostgreSQL (production)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Insert, MetaData, Table, event, or_, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from shared.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# Each service declares `class Base(DeclarativeBase)` with `metadata = new_metadata()` and this map,
# so that every service has a metadata (a database) of its own.
TYPE_ANNOTATION_MAP = {datetime: UtcDateTime}


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = {"read_only": True}
"""Execution options of a transaction that only reads: `await session.connection(execution_options=READ_ONLY)`."""


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    # A writing transaction takes the write lock at the start: a deferred one that reads, then writes, fails
    # with "database is locked" instead of waiting when another writer got there first. Readers don't lock.
    read_only = connection.get_execution_options().get("read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection a process: SQLite has one writer anyway, and queueing for the connection in asyncio is
        # far cheaper than connections taking turns through SQLite's busy-wait sleeps.
        pool = {"pool_size": 1, "max_overflow": 0} if path and path != ":memory:" else {}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    connect_args = {}
    if settings.database_schema:
        connect_args["server_settings"] = {"search_path": settings.database_schema}
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args=connect_args)


def create_sessionmaker(engine: AsyncEngine, info: dict | None = None) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, info=info or {})


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def upsert_newer(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, changes: Sequence[str], stamp: str
) -> None:
    """Insert each row; where its primary key is already there, set the `changes` columns and `stamp` from it,
    unless the stored `stamp` is later. A projection's upsert in one statement: an older event never overwrites
    what a newer one wrote."""
    if rows:
        await session.execute(_upsert_statement(table, session.get_bind().dialect.name, tuple(changes), stamp), rows)


@cache
def _upsert_statement(table: Table, dialect: str, changes: tuple[str, ...], stamp: str) -> Insert:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    stored = table.c[stamp]
    return statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={name: statement.excluded[name] for name in (*changes, stamp)},
        where=or_(stored.is_(None), stored <= statement.excluded[stamp]),
    )
