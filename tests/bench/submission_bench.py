"""(a) a bare FastAPI endpoint against a case submission through the gateway, in one run;
(b) submission → deputy inbox latency at a steady 200 submissions a second.

`python -m tests.bench.submission_bench` prints the figures; `make bench` collects them with the others.
"""

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import text

from shared import demo_city
from shared.db import create_engine
from shared.supervisor import Stack, free_port, wait_for_http
from tests.bench.load import percentile, run_load

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
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(var_dir=Path(folder), gateway_port=free_port())
        try:
            stack.start()
            time.sleep(3)  # the demo city's events reach the projections
            return {"throughput": throughput(stack), "inbox_latency": inbox_latency(stack)}
        finally:
            stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
