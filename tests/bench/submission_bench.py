"""(a) a bare FastAPI endpoint against a case submission through the gateway, in one run;
(b) submission → deputy inbox latency at a steady 200 submissions a second.

`python -m tests.bench.submission_bench` prints the figures; `make bench` collects them with the others.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import text

from shared import demo_city
from shared.db import create_engine
from shared.migrations import SERVICES
from shared.supervisor import Stack, free_port, wait_for_http
from tests.bench.load import percentile, run_load
from tests.support import drop_schemas

GROUP_ID = demo_city.stable_id("grid:" + demo_city.deputies()[0].home_grid_code)
CASE = {"kind": "request", "category": "roads", "description": "村口的桥栏杆坏了。", "grid_id": GROUP_ID}
SECONDS = 5.0


def _bare_app() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.bench.bare_app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    )
    wait_for_http(f"http://127.0.0.1:{port}/ping")
    return process, f"http://127.0.0.1:{port}"


def throughput(stack: Stack) -> dict[str, dict]:
    bare, base = _bare_app()
    try:
        figures = {
            "bare_get": run_load("GET", f"{base}/ping", seconds=SECONDS),
            "bare_post": run_load("POST", f"{base}/submissions", body=CASE, seconds=SECONDS),
            "gateway_case_post": run_load(
                "POST", f"{stack.gateway_url}/api/case-intake/cases", body=CASE, seconds=SECONDS
            ),
        }
    finally:
        bare.terminate()
        bare.wait()
    result = {name: value.as_dict() for name, value in figures.items()}
    result["ratio"] = {
        "gateway_case_post_to_bare_post": round(
            figures["gateway_case_post"].per_second / figures["bare_post"].per_second, 3
        )
    }
    return result


async def _paced_submissions(url: str, rate: float, seconds: float) -> int:
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()

        async def submit(number: int) -> bool:
            headers = {"Idempotency-Key": f"latency-{number:06d}-{started}"}
            async with session.post(url, json=CASE, headers=headers) as answer:
                return answer.status == 201

        tasks = []
        for number in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(submit(number)))
        return sum(await asyncio.gather(*tasks))


async def _latencies_ms(stack: Stack, since: float) -> list[float]:
    """From the outbox write in case_intake to the inbox row in the deputy service, per event."""
    query = "SELECT event_id, {column} FROM {table} WHERE event_type = 'case.case.submitted.v1'"
    sent, received = {}, {}
    for service, table, column, into in (
        ("case_intake", "outbox", "created_at", sent),
        ("deputy", "inbox", "received_at", received),
    ):
        engine = create_engine(stack.settings_for(service))
        async with engine.connect() as connection:
            for event_id, moment in await connection.execute(text(query.format(table=table, column=column))):
                into[event_id] = _timestamp(moment)
        await engine.dispose()
    return [(received[key] - sent[key]) * 1000 for key in sent if key in received and sent[key] >= since]


def _timestamp(moment) -> float:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def inbox_latency(stack: Stack, rate: float = 200.0, seconds: float = SECONDS) -> dict[str, float]:
    since = time.time()
    accepted = asyncio.run(_paced_submissions(f"{stack.gateway_url}/api/case-intake/cases", rate, seconds))
    deadline = time.monotonic() + 30
    while len(latencies := asyncio.run(_latencies_ms(stack, since))) < accepted and time.monotonic() < deadline:
        time.sleep(0.5)
    return {
        "rate_per_s": rate,
        "accepted": accepted,
        "arrived": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


def run() -> dict:
    """On SQLite (the embedded default), and on PostgreSQL too when BENCH_DATABASE_URL names one."""
    os.environ.setdefault("FILING_PER_MINUTE", "10000000")  # one client address files everything here
    results = {"sqlite": _run_on(None)}
    if url := os.environ.get("BENCH_DATABASE_URL"):
        results["postgresql"] = _run_on(url)
    return results


def _run_on(database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(var_dir=Path(folder), gateway_port=free_port())
        if database_url:
            run = uuid.uuid4().hex[:6]
            for name in (*SERVICES, "gateway"):
                stack.database_urls[name] = database_url
                stack.database_schemas[name] = f"bench_{run}_{name}"
        try:
            stack.start()
            time.sleep(3)  # the demo city's events reach the projections
            return {
                "throughput": throughput(stack),
                "inbox_latency_200_per_s": inbox_latency(stack),
                "inbox_latency_20_per_s": inbox_latency(stack, rate=20.0),
            }
        finally:
            stack.stop()
            if database_url:
                asyncio.run(drop_schemas(database_url, stack.database_schemas.values()))


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
