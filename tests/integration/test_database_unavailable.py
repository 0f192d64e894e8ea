"""A database that cannot be written answers 503 with Retry-After and changes nothing, so that any client
sends the same request again under the same Idempotency-Key (as it does for any other temporary failure)."""

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import func, select

from services.grid.app import create_app
from services.grid.models import Grid
from shared.auth import Role
from shared.config import Settings
from shared.db import create_engine
from shared.migrations import upgrade

pytestmark = pytest.mark.timeout(60)

TOWNSHIP = {"code": "RO1", "name": "韶山乡", "level": "township"}


async def grid_count(settings: Settings) -> int:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(select(func.count()).select_from(Grid))).scalar_one()
    finally:
        await engine.dispose()


async def post_grid(settings: Settings, headers: dict[str, str], body: dict) -> httpx.Response:
    app = create_app(settings)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://test"))
        return await client.post("/grids", json=body, headers=headers)


async def test_a_create_on_a_read_only_database_answers_503_and_changes_nothing(tmp_path, nats_server, keys):
    path = tmp_path / "grid.db"
    writable = Settings(
        service_name="grid",
        database_url=f"sqlite+aiosqlite:///{path}",
        nats_url=nats_server.url,
        token_public_key_file=keys.public,
    )
    read_only = writable.model_copy(update={"database_url": f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"})
    await asyncio.to_thread(upgrade, "services.grid", writable)
    office = keys.headers(Role.npc_office, subject="office-1")
    first = await post_grid(writable, {**office, "Idempotency-Key": "read-only-0001"}, TOWNSHIP)
    assert first.status_code == 201, first.text

    village = {"code": "RO1V1", "name": "湘韶村", "level": "village", "parent_id": first.json()["id"]}
    refused = await post_grid(read_only, {**office, "Idempotency-Key": "read-only-0002"}, village)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["status"] == 503
    assert await grid_count(writable) == 1

    again = await post_grid(writable, {**office, "Idempotency-Key": "read-only-0002"}, village)  # the same key, later
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers
    assert await grid_count(writable) == 2
