"""Idempotency keys for creates: the same key and body give the first answer, never a second record.

Same key + other body -> 422; the same key in a request running at the same time -> rolled back, the first answer.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Insert, Select, Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Conflict, Unprocessable

REPLAY_HEADER = "Idempotent-Replayed"


@cache
def _statements(table: Table) -> tuple[Select, Insert]:
    """The look-up and the insert of a table's keys, built once: SQLAlchemy then reuses their compiled form."""
    lookup = select(table.c.request_hash, table.c.status_code, table.c.response_body).where(
        table.c.scope == bindparam("scope"), table.c.key == bindparam("key")
    )
    return lookup, table.insert()


def _fingerprint(body: BaseModel | None) -> str:
    data = body.model_dump(mode="json") if body is not None else None
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_idempotent(
    session: AsyncSession,
    table: Table,
    *,
    key: str | None,
    scope: str,
    body: BaseModel | None,
    create: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
) -> JSONResponse:
    """Run `create` once per (scope, key) and commit its answer with it; a repeat gets the stored answer.

    The key is written with the answer, at the end of the transaction: a request with the same key that ran at
    the same time (PostgreSQL; SQLite serialises writers) fails on it, is rolled back and gets the first answer.
    """
    if key is None:
        result = await create()
        await session.commit()
        return _answer(result.model_dump_json(), status_code)
    fingerprint = _fingerprint(body)
    lookup, insert = _statements(table)
    stored = (await session.execute(lookup, {"scope": scope, "key": key})).first()
    if stored is not None:
        await session.rollback()
        return _replay(stored, fingerprint)
    result = await create()
    payload = result.model_dump_json()  # serialised once: the answer, and the answer kept for a repeat
    row = {
        "scope": scope,
        "key": key,
        "request_hash": fingerprint,
        "status_code": status_code,
        "response_body": payload,
        "created_at": datetime.now(UTC),
    }
    try:
        await session.execute(insert, row)
    except IntegrityError as error:
        await session.rollback()
        if (winner := (await session.execute(lookup, {"scope": scope, "key": key})).first()) is None:
            raise Conflict("A request with this Idempotency-Key is still being processed.") from error
        return _replay(winner, fingerprint)
    await session.commit()
    return _answer(payload, status_code)


class _SerialisedJSON(JSONResponse):
    """A JSON answer from its text: sent as it is, not decoded and encoded again."""

    def render(self, content: str) -> bytes:  # type: ignore[override]
        return content.encode()


def _answer(body: str, status_code: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return _SerialisedJSON(body, status_code=status_code, headers=headers)


def _replay(stored, fingerprint: str) -> JSONResponse:  # type: ignore[no-untyped-def]
    if stored.request_hash != fingerprint:
        raise Unprocessable("This Idempotency-Key was already used with a different request body.")
    return _answer(stored.response_body, stored.status_code, {REPLAY_HEADER: "true"})
