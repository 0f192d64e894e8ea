"""What the fault tests share: the whole system on the test database, and reading the results."""

import asyncio
import os
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from devstack.demo import city as demo_city
from devstack.natsauth import BusUsers
from devstack.supervisor import Stack, free_port
from shared.db import create_engine
from shared.migrations import SERVICES
from tests.support import drop_schemas


def stack_on_test_database(tmp_path: Path, nats_url: str | None = None, bus_users: BusUsers | None = None) -> Stack:
    """The processes of `make run`, on PostgreSQL (a schema each) when TEST_DATABASE_URL is set; with a NATS of
    the test's, `bus_users` are its users (each process connects as its own)."""
    system = Stack(var_dir=tmp_path / "var", gateway_port=free_port(), nats_url=nats_url, bus_users=bus_users)
    if url := os.environ.get("TEST_DATABASE_URL"):
        run = uuid.uuid4().hex[:6]
        for name in (*SERVICES, "gateway"):
            system.database_urls[name] = url
            system.database_schemas[name] = f"fault_{run}_{name}"
    return system


def drop_test_schemas(system: Stack) -> None:
    if url := os.environ.get("TEST_DATABASE_URL"):
        asyncio.run(drop_schemas(url, system.database_schemas.values()))


def wait_for_routing(stack: Stack, timeout: float = 60) -> None:
    """The demo city's assignments reach case_intake's routing table as events; file only once they all did."""
    expected = len(demo_city.deputies()) + 4  # every deputy in a group, and the four township grid heads

    async def routed() -> int:
        engine = create_engine(stack.settings_for("case_intake"))
        async with engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM routing_entries"))).scalar_one()
        await engine.dispose()
        return count

    deadline = time.monotonic() + timeout
    while asyncio.run(routed()) < expected:
        assert time.monotonic() < deadline, "the demo assignments never reached case_intake"
        time.sleep(0.5)


def inbox_case_ids(client: httpx.Client, base_url: str, token: str) -> list[str]:
    ids: list[str] = []
    while True:
        answer = client.get(
            f"{base_url}/inbox",
            headers={"Authorization": f"Bearer {token}"},
            params={"limit": 200, "offset": len(ids)},
            timeout=10,
        )
        page = answer.json()
        ids += [item["case_id"] for item in page["items"]]
        if len(ids) >= page["total"]:
            return ids
