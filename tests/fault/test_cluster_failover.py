"""Scale-out under failure: a 3-node NATS cluster, two replicas of case_intake and deputy; one NATS node and
one case_intake replica are killed mid-stream. Every case acknowledged to a client reaches the deputy's
inbox exactly once. Runs on PostgreSQL when TEST_DATABASE_URL is set, else on shared SQLite files.
"""

import itertools
import time

import httpx
import pytest

from devstack.demo import city as demo_city
from devstack.supervisor import wait_for_http
from tests.fault.stacks import drop_test_schemas, inbox_case_ids, stack_on_test_database, wait_for_routing
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
    system = stack_on_test_database(tmp_path, nats_url=cluster.url, bus_users=cluster.users)
    try:
        system.start()
        for name in ("case_intake", "deputy"):
            replica = system.start_service(name, replica=2)
            wait_for_http(f"http://127.0.0.1:{system.service_ports[replica]}/readyz", timeout=60)
        yield system
    finally:
        system.stop()
        drop_test_schemas(system)


def _submit(client: httpx.Client, base_url: str, number: int) -> str | None:
    body = {"kind": "request", "category": "rivers", "grid_id": GROUP_ID, "description": f"河道淤积 #{number}"}
    try:
        answer = client.post(f"{base_url}/cases", json=body, headers={"Idempotency-Key": f"failover-{number:05d}"})
    except httpx.HTTPError:
        return None  # the replica is gone: not acknowledged, so no promise was made
    return answer.json()["id"] if answer.status_code == 201 else None


def test_acknowledged_cases_reach_the_inbox_once_through_node_and_replica_failures(stack, cluster):
    ports = stack.service_ports
    intake = [f"http://127.0.0.1:{ports['case_intake']}", f"http://127.0.0.1:{ports['case_intake#2']}"]
    deputies = [f"http://127.0.0.1:{ports['deputy']}", f"http://127.0.0.1:{ports['deputy#2']}"]
    acknowledged: list[str] = []
    wait_for_routing(stack)
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
            inbox = inbox_case_ids(client, deputies[0], token)
            if set(acknowledged) <= set(inbox):
                break
            time.sleep(0.5)
        assert len(acknowledged) >= SUBMISSIONS * 0.9
        assert set(acknowledged) <= set(inbox), f"{len(set(acknowledged) - set(inbox))} acknowledged cases missing"
        assert len(inbox) == len(set(inbox)), "a case appears twice in the inbox"
        assert sorted(inbox_case_ids(client, deputies[1], token)) == sorted(inbox)
