"""`make run`'s supervisor with real processes: NATS from the wheel, six services, the gateway."""

import os
import time

import httpx
import pytest

from devstack.demo import city as demo_city
from devstack.supervisor import Stack, free_port

DEPUTY = demo_city.deputies()[0]
GROUP_ID = demo_city.stable_id("grid:" + DEPUTY.home_grid_code)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("var")


def start_stack(var_dir) -> Stack:
    stack = Stack(var_dir=var_dir, gateway_port=free_port())
    try:
        stack.start()
    except Exception:
        stack.stop()
        raise
    return stack


def wait_for_inbox(client: httpx.Client, token: str, case_id: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get("/api/deputy/inbox", headers={"Authorization": f"Bearer {token}"}, params={"limit": 200})
        assert answer.status_code == 200, answer.text
        ids = [item["case_id"] for item in answer.json()["items"]]
        if case_id in ids:
            return ids
        time.sleep(0.1)
    raise AssertionError("the case never reached the deputy's inbox")


def test_a_case_posted_to_the_gateway_reaches_the_deputy_inbox_across_processes(var_dir):
    stack = start_stack(var_dir)
    try:
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
            login = client.post("/api/auth/login", json={"username": DEPUTY.code, "password": "demo-pass-2026"})
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            filed = client.post(
                "/api/case-intake/cases",
                headers={"Idempotency-Key": "system-test-0001"},
                json={
                    "kind": "dispute",
                    "category": "neighbours",
                    "grid_id": GROUP_ID,
                    "description": "邻居家的水管漏水流到我家院子。",
                },
            )
            assert filed.status_code == 201, filed.text
            ids = wait_for_inbox(client, token, filed.json()["id"])
            assert ids.count(filed.json()["id"]) == 1
            assert client.get("/").headers["cache-control"] == "no-cache"
    finally:
        pids = [process.pid for process in stack.processes.values()]
        stack.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_second_run_keeps_the_first_runs_data(var_dir):
    stack = start_stack(var_dir)
    try:
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
            deputies = client.get("/api/deputy/deputies", params={"limit": 1}).json()
            assert deputies["total"] == 414
            grids = client.get("/api/grid/grids", params={"level": "group", "limit": 1}).json()
            assert grids["total"] == 218
            login = client.post("/api/auth/login", json={"username": DEPUTY.code, "password": "demo-pass-2026"})
            inbox = client.get("/api/deputy/inbox", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
            assert inbox.json()["total"] == 1
    finally:
        stack.stop()
