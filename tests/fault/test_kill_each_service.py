"""kill -9 each service in turn while villagers keep filing, then restart it: every filing the client was told
about reaches the deputy's inbox exactly once. A filing refused while case_intake is down is sent again under
the same Idempotency-Key, as the PWA's offline queue does.
"""

import signal
import time

import httpx
import pytest

from devstack.demo import city as demo_city
from devstack.supervisor import wait_for_http
from shared.migrations import SERVICES
from tests.fault.stacks import drop_test_schemas, inbox_case_ids, stack_on_test_database, wait_for_routing

DEPUTY = demo_city.deputies()[0]
GROUP_ID = demo_city.stable_id("grid:" + DEPUTY.home_grid_code)
PER_SERVICE = 8


@pytest.fixture
def stack(tmp_path):
    system = stack_on_test_database(tmp_path)
    try:
        system.start()
        yield system
    finally:
        system.stop()
        drop_test_schemas(system)


def _file(client: httpx.Client, key: str, deadline: float) -> str:
    """Send until acknowledged, always under the same key."""
    body = {"kind": "request", "category": "sanitation", "grid_id": GROUP_ID, "description": f"垃圾没人收 {key}"}
    while True:
        try:
            answer = client.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": key})
            if answer.status_code == 201:
                return answer.json()["id"]
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{key} was never acknowledged"
        time.sleep(0.2)


def test_nothing_acknowledged_is_lost_or_applied_twice_when_each_service_is_killed(stack):
    wait_for_routing(stack)
    acknowledged: list[str] = []
    deadline = time.monotonic() + 240
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        for name in SERVICES:
            for number in range(PER_SERVICE):
                if number == PER_SERVICE // 2:
                    stack.kill(name, signal.SIGKILL)
                if number == PER_SERVICE // 2 + 2:
                    stack.start_service(name)
                    wait_for_http(f"http://127.0.0.1:{stack.service_ports[name]}/readyz", timeout=60)
                if name == "case_intake" and PER_SERVICE // 2 <= number < PER_SERVICE // 2 + 2:
                    continue  # nothing can be filed while it is down; those keys are sent after the restart
                acknowledged.append(_file(client, f"kill-{name}-{number:03d}", deadline))
            for number in range(PER_SERVICE // 2, PER_SERVICE // 2 + 2):
                if name == "case_intake":
                    acknowledged.append(_file(client, f"kill-{name}-{number:03d}", deadline))
        token = client.post("/api/auth/login", json={"username": DEPUTY.code, "password": "demo-pass-2026"}).json()
        deputy_url = f"http://127.0.0.1:{stack.service_ports['deputy']}"
        while True:
            inbox = inbox_case_ids(client, deputy_url, token["access_token"])
            if set(acknowledged) <= set(inbox) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert len(set(acknowledged)) == len(acknowledged) == len(SERVICES) * PER_SERVICE
    assert set(acknowledged) <= set(inbox), f"{len(set(acknowledged) - set(inbox))} acknowledged filings missing"
    assert len(inbox) == len(set(inbox)), "a case appears twice in the inbox"
