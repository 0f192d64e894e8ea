"""Idempotency keys for creates: the same key and body give the first answer, never a second record.

Same key + other body -> 422; the same key while the first request is still running -> 409.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UtcDateTime
from shared.problems import Conflict, Unprocessable

REPLAY_HEADER = "Idempotent-Replayed"


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("key", String(100), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("created_at", UtcDateTime, nullable=False),
    )


def _fingerprint(body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_idempotent(
    session: AsyncSession,
    table: Table,
    *,
    key: str | None,
    scope: str,
    body: BaseModel,
    create: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
) -> JSONResponse:
    """Run `create` once per (scope, key) and commit; a repeat gets the stored answer."""
    if key is None:
        result = await create()
        await session.commit()
        return JSONResponse(result.model_dump(mode="json"), status_code=status_code)
    fingerprint = _fingerprint(body)
    stored = (await session.execute(select(table).where(table.c.scope == scope, table.c.key == key))).first()
    if stored is not None:
        await session.rollback()
        return _replay(stored, fingerprint)
    try:
        await session.execute(
            table.insert().values(scope=scope, key=key, request_hash=fingerprint, created_at=datetime.now(UTC))
        )
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise Conflict("A request with this Idempotency-Key is still being processed.") from error
    result = await create()
    payload = result.model_dump(mode="json")
    await session.execute(
        table.update()
        .where(table.c.scope == scope, table.c.key == key)
        .values(status_code=status_code, response_body=json.dumps(payload, ensure_ascii=False))
    )
    await session.commit()
    return JSONResponse(payload, status_code=status_code)


def _replay(stored, fingerprint: str) -> JSONResponse:  # type: ignore[no-untyped-def]
    if stored.request_hash != fingerprint:
        raise Unprocessable("This Idempotency-Key was already used with a different request body.")
    if stored.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    return JSONResponse(
        json.loads(stored.response_body), status_code=stored.status_code, headers={REPLAY_HEADER: "true"}
    )
