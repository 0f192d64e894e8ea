"""(a) a bare FastAPI endpoint against a case submission through the gateway, in one run;
(b) submission (sent to the gateway) → deputy inbox latency at a steady 200 submissions a second, then 100, 50, 20;
(c) the CPU time each process spends on one filing;
(d) case submissions through the gateway with one and then two replicas of case_intake, in the same run:
    `Stack.scale` starts the second process and restarts the gateway with both addresses (it takes them in turn).

On SQLite (the embedded default; two replicas share one database file, so their writes serialise) and on
PostgreSQL (a schema per service) when BENCH_DATABASE_URL or TEST_DATABASE_URL names one or a local server
answers on 127.0.0.1:5432. `python -m tests.bench.submission_bench` prints the figures; `make bench` collects
them with the others.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import text

from devstack.demo import city as demo_city
from devstack.supervisor import Stack, free_port, wait_for_http
from shared.db import create_engine
from shared.migrations import SERVICES
from tests.bench.load import percentile, run_load
from tests.support import drop_schemas

GROUP_ID = demo_city.stable_id("grid:" + demo_city.deputies()[0].home_grid_code)
CASE = {"kind": "request", "category": "roads", "description": "村口的桥栏杆坏了。", "grid_id": GROUP_ID}
SECONDS = 5.0
REPLICA_SECONDS = 4.0
REPLICA_CONNECTIONS = 32
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


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


async def _paced_submissions(url: str, rate: float, seconds: float) -> dict[str, float]:
    """Open-loop submissions at `rate`; returns each accepted case's id with the moment it was sent."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()

        async def submit(number: int) -> tuple[str, float] | None:
            headers = {"Idempotency-Key": f"latency-{number:06d}-{started}"}
            sent_at = time.time()
            async with session.post(url, json=CASE, headers=headers) as answer:
                return ((await answer.json())["id"], sent_at) if answer.status == 201 else None

        tasks = []
        for number in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(submit(number)))
        return dict(answer for answer in await asyncio.gather(*tasks) if answer is not None)


async def _latencies_ms(stack: Stack, sent: dict[str, float]) -> list[float]:
    """From the moment a submission was sent to the gateway to its event's inbox row in the deputy service."""
    query = "SELECT event_id, {column} FROM {table} WHERE event_type = 'case.case.submitted.v2'"
    cases, received = {}, {}
    for service, table, column, into in (
        ("case_intake", "outbox", "body", cases),
        ("deputy", "inbox", "received_at", received),
    ):
        engine = create_engine(stack.settings_for(service))
        async with engine.connect() as connection:
            for event_id, value in await connection.execute(text(query.format(table=table, column=column))):
                into[event_id] = value
        await engine.dispose()
    case_of = {event_id: json.loads(body)["data"]["case_id"] for event_id, body in cases.items()}
    return [
        (_timestamp(moment) - sent[case_of[event_id]]) * 1000
        for event_id, moment in received.items()
        if case_of.get(event_id) in sent
    ]


def _timestamp(moment) -> float:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def inbox_latency(stack: Stack, rate: float = 200.0, seconds: float = SECONDS) -> dict[str, float]:
    sent = asyncio.run(_paced_submissions(f"{stack.gateway_url}/api/case-intake/cases", rate, seconds))
    deadline = time.monotonic() + 30
    while len(latencies := asyncio.run(_latencies_ms(stack, sent))) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.5)
    return {
        "rate_per_s": rate,
        "accepted": len(sent),
        "arrived": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


@contextmanager
def running_stack(database_url: str | None) -> Iterator[Stack]:
    """The processes of `make run` with the demo city, on SQLite in a temporary folder or on PostgreSQL (a
    schema per service, dropped afterwards); filing is not rate limited (one address files everything)."""
    os.environ.setdefault("FILING_PER_MINUTE", "10000000")
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
            yield stack
        finally:
            stack.stop()
            if database_url:
                asyncio.run(drop_schemas(database_url, stack.database_schemas.values()))


def _submissions(url: str) -> dict[str, float]:
    # warm up first: the gateway's pools, a new replica's database connections and statement caches
    run_load("POST", url, body=CASE, connections=REPLICA_CONNECTIONS, seconds=2.0)
    return run_load("POST", url, body=CASE, connections=REPLICA_CONNECTIONS, seconds=REPLICA_SECONDS).as_dict()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_filing(stack: Stack) -> dict[str, float]:
    """CPU milliseconds each process spends on one filing: its CPU time over a load of filings (and the seconds
    after it in which the consumers catch up), divided by the filings."""
    if not Path("/proc/self/stat").exists():
        return {}
    url = f"{stack.gateway_url}/api/case-intake/cases"
    _submissions(url)  # warm up
    time.sleep(2)
    before = {name: _cpu_seconds(process.pid) for name, process in stack.processes.items()}
    filed = run_load("POST", url, body=CASE, connections=REPLICA_CONNECTIONS, seconds=SECONDS).requests
    time.sleep(3)
    spent = {name: _cpu_seconds(process.pid) - before[name] for name, process in stack.processes.items()}
    figures = {name: round(1000 * seconds / filed, 2) for name, seconds in sorted(spent.items())}
    return {**figures, "total": round(sum(figures.values()), 2)}


def replicas(stack: Stack) -> dict:
    """Submissions through the gateway with one case_intake process, then with two (the stack keeps two)."""
    url = f"{stack.gateway_url}/api/case-intake/cases"
    one = _submissions(url)
    stack.scale("case_intake", 2)
    two = _submissions(url)
    return {
        "connections": REPLICA_CONNECTIONS,
        "seconds": REPLICA_SECONDS,
        "one_replica": one,
        "two_replicas": two,
        "ratio_two_to_one": round(two["rps"] / one["rps"], 3) if one["rps"] else None,
    }


def postgres_url() -> str | None:
    """The PostgreSQL to measure on: BENCH_DATABASE_URL, TEST_DATABASE_URL, or the local server CI uses."""
    if url := os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"):
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return LOCAL_POSTGRES


def run() -> dict:
    results = {"sqlite": _run_on(None)}
    if url := postgres_url():
        results["postgresql"] = _run_on(url)
    return results


def _run_on(database_url: str | None) -> dict:
    with running_stack(database_url) as stack:
        return {
            "throughput": throughput(stack),
            # the target rate first, then lower ones: where the p99 target holds on this machine
            **{f"inbox_latency_{rate}_per_s": inbox_latency(stack, rate=float(rate)) for rate in (200, 100, 50, 20)},
            "cpu_ms_per_filing": cpu_per_filing(stack),
            "replicas": replicas(stack),
        }


def main() -> None:
    results = run()
    print(json.dumps(results, indent=2))
    print(f"\nCase submissions through the gateway, {REPLICA_CONNECTIONS} connections, {os.cpu_count()} CPUs")
    print(f"{'':26}{'submissions/s':>14}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for database, figures in results.items():
        for label in ("one_replica", "two_replicas"):
            row = figures["replicas"][label]
            print(
                f"{database + ' ' + label.replace('_', ' '):26}{row['rps']:>14,.0f}{row['p50_ms']:>9.1f}"
                f"{row['p99_ms']:>9.1f}{row['errors']:>8}"
            )
        print(f"{database + ' two / one':26}{figures['replicas']['ratio_two_to_one']:>14}")


if __name__ == "__main__":
    main()
