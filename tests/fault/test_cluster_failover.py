"""Scale-out under failure: a 3-node NATS cluster, two replicas of case_intake and deputy; one NATS node and
one case_intake replica are killed mid-stream. Every case acknowledged to a client reaches the deputy's
inbox exactly once. Runs on PostgreSQL when TEST_DATABASE_URL is set, else on shared SQLite files.
"""

import itertools
import os
import time
import uuid

import httpx
import pytest

from shared import demo_city
from shared.supervisor import Stack, free_port, wait_for_http
from tests.support import NatsCluster

SUBMISSIONS = 120
DEPUTY = demo_city.deputies()[0]
GROUP_ID = demo_city.stable_id("grid:" + DEPUTY.home_grid_code)


@pytest.fixture
def cluster(tmp_path):
    nodes = NatsCluster(tmp_path / "nats")
    nodes.start()
    yield nodes
    nodes.stop()


@pytest.fixture
def stack(tmp_path, cluster, monkeypatch):
    monkeypatch.setenv("NATS_STREAM_REPLICAS", "3")
    system = Stack(var_dir=tmp_path / "var", gateway_port=free_port(), nats_url=cluster.url)
    if url := os.environ.get("TEST_DATABASE_URL"):
        run = uuid.uuid4().hex[:6]
        for name in ("grid", "deputy", "case_intake", "station_scheduling", "micro_funding", "gateway"):
            system.database_urls[name] = url
            system.database_schemas[name] = f"failover_{run}_{name}"
    try:
        system.start()
        for name in ("case_intake", "deputy"):
            replica = system.start_service(name, replica=2)
            wait_for_http(f"http://127.0.0.1:{system.service_ports[replica]}/readyz", timeout=60)
        yield system
    finally:
        system.stop()
        if os.environ.get("TEST_DATABASE_URL"):
            _drop_schemas(system.database_schemas.values())


def _drop_schemas(schemas) -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        connection = await asyncpg.connect(os.environ["TEST_DATABASE_URL"].replace("+asyncpg", ""))
        for schema in schemas:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()

    asyncio.run(drop())


def _wait_for_routing(stack: Stack, timeout: float = 60) -> None:
    """The demo city's assignments reach case_intake's routing table as events; file only once they all did."""
    import asyncio

    from sqlalchemy import text

    from shared.db import create_engine

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


def _submit(client: httpx.Client, base_url: str, number: int) -> str | None:
    body = {"kind": "request", "category": "rivers", "grid_id": GROUP_ID, "description": f"河道淤积 #{number}"}
    try:
        answer = client.post(f"{base_url}/cases", json=body, headers={"Idempotency-Key": f"failover-{number:05d}"})
    except httpx.HTTPError:
        return None  # the replica is gone: not acknowledged, so no promise was made
    return answer.json()["id"] if answer.status_code == 201 else None


def _inbox(client: httpx.Client, base_url: str, token: str) -> list[str]:
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


def test_acknowledged_cases_reach_the_inbox_once_through_node_and_replica_failures(stack, cluster):
    ports = stack.service_ports
    intake = [f"http://127.0.0.1:{ports['case_intake']}", f"http://127.0.0.1:{ports['case_intake#2']}"]
    deputies = [f"http://127.0.0.1:{ports['deputy']}", f"http://127.0.0.1:{ports['deputy#2']}"]
    acknowledged: list[str] = []
    _wait_for_routing(stack)
    with httpx.Client(timeout=10) as client:
        token = client.post(
            f"{stack.gateway_url}/api/auth/login", json={"username": DEPUTY.code, "password": "demo-pass-2026"}
        ).json()["access_token"]
        targets = itertools.cycle(intake)
        for number in range(SUBMISSIONS):
            if number == SUBMISSIONS // 3:
                cluster.kill(1)
            if number == SUBMISSIONS // 2:
                stack.kill("case_intake#2")
                intake.pop()
                targets = itertools.cycle(intake)
            if case_id := _submit(client, next(targets), number):
                acknowledged.append(case_id)
            time.sleep(0.02)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            inbox = _inbox(client, deputies[0], token)
            if set(acknowledged) <= set(inbox):
                break
            time.sleep(0.5)
        assert len(acknowledged) >= SUBMISSIONS * 0.9
        assert set(acknowledged) <= set(inbox), f"{len(set(acknowledged) - set(inbox))} acknowledged cases missing"
        assert len(inbox) == len(set(inbox)), "a case appears twice in the inbox"
        assert sorted(_inbox(client, deputies[1], token)) == sorted(inbox)
