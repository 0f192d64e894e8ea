"""Notification: (a) messages a second the notification service sends to a local push receiver (each one
encrypted to its device, RFC 8291, and signed with VAPID), a burst of cases to a deputy with DEVICES phones;
(b) the time from a case's filing (its POST to the gateway) to its push arriving at the receiver, p50/p99, at a
steady LATENCY_RATE filings a second, one phone.

The processes of `make run` on SQLite, without the demo city (its seeding would take most of a minute): one
group grid and its deputy are made through the gateway, as the office would. The push receiver
(tests/integration/push_receiver.py) runs on 127.0.0.1 in this process, allowed by WEBPUSH_ALLOWED_HOSTS. The
cases are urgent, filed by that deputy into their grid, so that neither quiet hours nor the hourly cap hold them
whatever the time the bench runs. Every wait has a deadline: about 15 s of start and 15 s of measuring.
`python -m tests.bench.notification_bench` prints the figures.
"""

import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp

from devstack.supervisor import Stack, free_port
from shared.auth import Principal, Role, issue_token
from shared.config import Settings
from tests.bench.load import percentile
from tests.integration.push_receiver import Browser, PushReceiver

DEVICES = 20
BURST_CASES = 40
BURST_CONCURRENCY = 8
LATENCY_RATE = 10.0
LATENCY_SECONDS = 5.0
WAIT_SECONDS = 20.0
Grid = tuple[str, dict[str, str]]
"""The group grid's id and its deputy's token."""


ENVIRONMENT = {
    "WEBPUSH_ALLOWED_HOSTS": "127.0.0.1",  # the receiver
    "FILING_PER_MINUTE": "10000000",  # one address files everything
}


@contextmanager
def small_stack() -> Iterator[Stack]:
    """Every process of `make run`, on SQLite in a temporary folder, without the demo city; the environment
    above for as long as it runs."""
    before = {name: os.environ.get(name) for name in ENVIRONMENT}
    os.environ.update(ENVIRONMENT)
    try:
        with tempfile.TemporaryDirectory() as folder:
            stack = Stack(var_dir=Path(folder), gateway_port=free_port(), seed=False)
            try:
                stack.start()
                yield stack
            finally:
                stack.stop()
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _headers(stack: Stack, *roles: Role, deputy_id: str | None = None) -> dict[str, str]:
    """A token signed with the stack's key (what signing in would give)."""
    principal = Principal(subject=f"bench-{roles[0]}", roles=frozenset(roles), deputy_id=deputy_id)
    key = stack.private_key.read_bytes()
    token = issue_token(key, principal, issuer=Settings().token_issuer, lifetime=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def _created(http: aiohttp.ClientSession, stack: Stack, path: str, body: dict, headers: dict[str, str]) -> dict:
    async with http.post(f"{stack.gateway_url}/api/{path}", json=body, headers=headers) as answer:
        if answer.status != 201:
            raise RuntimeError(f"{path}: {answer.status} {await answer.text()}")
        return await answer.json()


async def _city(http: aiohttp.ClientSession, stack: Stack) -> tuple[str, dict[str, str]]:
    """A township, village and group, a deputy assigned to the group: the group's id and the deputy's token,
    once a filing there reaches the deputy (case intake has the assignment)."""
    office = _headers(stack, Role.npc_office)
    township = await _created(http, stack, "grid/grids", {"code": "B01", "name": "韶山乡", "level": "township"}, office)
    village = {"code": "B01V01", "name": "韶阳村", "level": "village", "parent_id": township["id"]}
    village = await _created(http, stack, "grid/grids", village, office)
    group = {"code": "B01V01G01", "name": "韶阳村第1组", "level": "group", "parent_id": village["id"]}
    group = await _created(http, stack, "grid/grids", group, office)
    deputy = {"code": "D9001", "name": "毛春华", "level": "township", "district": "韶山乡第3选区"}
    deputy = await _created(http, stack, "deputy/deputies", deputy, office)
    assignment = {"grid_id": group["id"], "deputy_id": deputy["id"], "starts_on": "2026-01-01"}
    await _created(http, stack, "grid/assignments", assignment, office)
    headers = _headers(stack, Role.deputy, deputy_id=deputy["id"])
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:  # the assignment's event reaches case intake's routing table
        case = await _created(http, stack, "case-intake/cases", {**CASE, "grid_id": group["id"]}, headers)
        if case["assigned_deputy_ids"]:
            return group["id"], headers
        await asyncio.sleep(0.2)
    raise RuntimeError("case intake did not learn of the deputy's assignment")


async def _register(http: aiohttp.ClientSession, stack: Stack, browser: Browser, headers: dict[str, str]) -> None:
    url = f"{stack.gateway_url}/api/notification/subscriptions"
    async with http.post(url, json={"subscription": browser.subscription()}, headers=headers) as answer:
        if answer.status != 201:
            raise RuntimeError(f"registering a device: {answer.status} {await answer.text()}")


CASE = {"kind": "request", "category": "roads", "description": "村口的桥栏杆坏了，有人差点掉下去。", "urgent": True}


async def _file(http: aiohttp.ClientSession, stack: Stack, grid: Grid) -> tuple[str, float] | None:
    """File one urgent case; its tracking code and the moment the request left, or None if it was refused."""
    group_id, headers = grid
    request_headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    sent_at = time.time()
    url = f"{stack.gateway_url}/api/case-intake/cases"
    async with http.post(url, json={**CASE, "grid_id": group_id}, headers=request_headers) as answer:
        if answer.status != 201:
            return None
        return (await answer.json())["tracking_code"], sent_at


async def _until(check: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _paced(http: aiohttp.ClientSession, stack: Stack, grid: Grid) -> dict[str, float]:
    """Open-loop filings at LATENCY_RATE for LATENCY_SECONDS: tracking code -> the moment it was sent."""
    started = time.perf_counter()
    tasks: list[Awaitable[tuple[str, float] | None]] = []
    for number in range(int(LATENCY_RATE * LATENCY_SECONDS)):
        await asyncio.sleep(max(0.0, started + number / LATENCY_RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(_file(http, stack, grid)))
    return dict(answer for answer in await asyncio.gather(*tasks) if answer is not None)


async def _burst(http: aiohttp.ClientSession, stack: Stack, grid: Grid) -> int:
    """BURST_CASES filings, BURST_CONCURRENCY at a time; how many were taken."""
    limit = asyncio.Semaphore(BURST_CONCURRENCY)

    async def one() -> bool:
        async with limit:
            return await _file(http, stack, grid) is not None

    return sum(await asyncio.gather(*(one() for _ in range(BURST_CASES))))


async def _measure(stack: Stack) -> dict:
    async with PushReceiver() as receiver, aiohttp.ClientSession() as http:
        grid = await _city(http, stack)
        headers = grid[1]
        phone = Browser(receiver.endpoint("phone-0"))
        await _register(http, stack, phone, headers)

        sent = await _paced(http, stack, grid)
        await _until(lambda: len(receiver.for_device("phone-0")) >= len(sent))
        latencies = []
        for item in receiver.for_device("phone-0"):
            code = phone.decrypt(item.body)["tracking_code"]
            if code in sent:
                latencies.append((item.at - sent[code]) * 1000)

        for number in range(1, DEVICES):
            await _register(http, stack, Browser(receiver.endpoint(f"phone-{number}")), headers)
        before = len(receiver.received)
        filed = await _burst(http, stack, grid)
        await _until(lambda: len(receiver.received) - before >= filed * DEVICES)
        burst = receiver.received[before:]
        seconds = burst[-1].at - burst[0].at if len(burst) > 1 else float("nan")
    return {
        "push_messages_per_s": round(len(burst) / seconds, 1) if seconds and seconds == seconds else None,
        "push_burst": {"cases": filed, "devices": DEVICES, "expected": filed * DEVICES, "arrived": len(burst)},
        "filing_to_push": {
            "rate_per_s": LATENCY_RATE,
            "filed": len(sent),
            "arrived": len(latencies),
            "p50_ms": round(percentile(latencies, 0.5), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
        },
    }


def run() -> dict:
    with small_stack() as stack:
        return asyncio.run(_measure(stack))


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
