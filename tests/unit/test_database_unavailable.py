"""Which database errors are temporary (503 with Retry-After), and that every app using shared.problems (the
services and the gateway) answers them so, from a route or from a middleware."""

import sqlite3

import asyncpg.exceptions
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.middleware.base import BaseHTTPMiddleware

from shared import problems
from shared.problems import database_unavailable

pytestmark = pytest.mark.timeout(30)


def wrapped(driver_error: BaseException, kind: type = OperationalError) -> BaseException:
    """As SQLAlchemy raises a driver's error: the statement and its parameters in the text, the error in .orig."""
    return kind("INSERT INTO grids (name) VALUES (?)", ("a villager's words",), driver_error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("attempt to write a readonly database")),
        wrapped(sqlite3.OperationalError("disk I/O error")),
        wrapped(sqlite3.OperationalError("database or disk is full")),
        wrapped(sqlite3.OperationalError("unable to open database file")),
        wrapped(sqlite3.OperationalError("database is locked")),
        wrapped(asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction")),
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.DiskFullError("could not extend file")),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        PoolTimeout("QueuePool limit of size 10 overflow 20 reached"),
    ],
)
def test_a_database_that_cannot_be_written_is_a_temporary_failure(error):
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.IntegrityError("UNIQUE constraint failed: grids.code"), IntegrityError),
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key value"), IntegrityError),
        wrapped(sqlite3.OperationalError("no such table: grids")),
        IntegrityError("INSERT ... 'database is locked'", ("database or disk is full",), Exception("boom")),
        ValueError("attempt to write a readonly database"),
    ],
)
def test_other_errors_stay_internal_errors(error):
    assert not database_unavailable(error)


def app_raising(error: Exception, *, in_middleware: bool) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.post("/things")
    async def create() -> dict:
        raise error

    if in_middleware:

        async def failing(request, call_next):  # type: ignore[no-untyped-def]
            raise error

        app.add_middleware(BaseHTTPMiddleware, dispatch=failing)
    return app


@pytest.mark.parametrize("in_middleware", [False, True])
async def test_it_answers_503_with_retry_after_from_a_route_or_a_middleware(in_middleware):
    error = wrapped(sqlite3.OperationalError("attempt to write a readonly database"))
    transport = httpx.ASGITransport(app=app_raising(error, in_middleware=in_middleware), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/things")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) >= 1


async def test_any_other_database_error_is_still_a_500():
    error = wrapped(sqlite3.OperationalError("no such table: things"))
    transport = httpx.ASGITransport(app=app_raising(error, in_middleware=False), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/things")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
