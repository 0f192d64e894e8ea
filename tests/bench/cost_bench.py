"""What one filing costs the machine, measured from outside (issue #21), against a bare FastAPI POST in the same run.

    .venv/bin/python -m tests.bench.cost_bench [--rounds 2]

- **CPU per filing**: the user+system CPU time (from /proc/<pid>/stat) of every process of the stack — gateway,
  the six services, NATS and, on PostgreSQL, the server backends connected to the stack's processes — over a
  bounded load of filings sent to the gateway (the public entry point), until the consumers have caught up,
  divided by the filings answered 2xx. The baseline: the CPU time of the bare app of tests/bench/bare_app.py
  (uvicorn, a POST validating the same body) over the same kind of load, divided by its 2xx answers. The load
  generator's own CPU is in neither.
- **Latency at 60%**: open-loop filings at 60% of the maximum throughput the same run measured (the closed
  loop above), p50/p99 from sending to the case's event in the deputy service's inbox.
- **Memory**: the resident memory (VmRSS) of all those processes at rest and the highest seen under the 60% load.

Every load is bounded in time and in count. The ratio is taken within one round (bare app and stack measured
back to back), rounds repeat, and the spread is reported; the machine is shared, so CPU per request is the
robust figure, throughput is not.
"""

import argparse
import asyncio
import json
import os
import statistics
import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.supervisor import Stack
from tests.bench.load import percentile, run_load
from tests.bench.submission_bench import (
    CASE,
    _bare_app,
    _latencies_ms,
    _paced_submissions,
    postgres_url,
    running_stack,
)

CONNECTIONS = 32
SECONDS = 5.0
MAX_FILINGS = 20_000  # the count bound of every load (the time bound comes first on this machine)
LATENCY_SECONDS = 5.0
SHARE_OF_MAX = 0.6
IDLE_SECONDS = 5.0  # the stack at rest: its timers and polls, which every filing's measurement window also holds
TARGET_RATIO = 10.0
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # gone
    return (int(fields[11]) + int(fields[12])) / TICK


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _local_ports(pids: list[int]) -> set[int]:
    """The local TCP ports of the sockets the given processes hold (from /proc: fd → inode → /proc/net/tcp)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class StackProcesses:
    """The pids that make up the stack: its own processes and, on PostgreSQL, the backends serving them."""

    def __init__(self, stack: Stack, database_url: str | None) -> None:
        self.stack = stack
        self.database_url = database_url

    def own(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.stack.processes.items()}

    def backends(self) -> list[int]:
        if not self.database_url:
            return []
        ports = _local_ports(list(self.own().values()))

        async def query() -> list[int]:
            engine = create_async_engine(self.database_url, pool_size=1, max_overflow=0)
            try:
                async with engine.connect() as connection:
                    rows = await connection.execute(
                        text("SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL")
                    )
                    return [pid for pid, port in rows if port in ports]
            finally:
                await engine.dispose()

        return asyncio.run(query())

    def cpu(self) -> dict[str, float]:
        figures = {name: _cpu_seconds(pid) for name, pid in self.own().items()}
        backends = self.backends()
        if backends:
            figures["postgresql"] = sum(_cpu_seconds(pid) for pid in backends)
        return figures

    def rss(self) -> int:
        return sum(_rss_bytes(pid) for pid in [*self.own().values(), *self.backends()])


def _settle(processes: StackProcesses, idle_ms_per_s: float = 150.0, limit: float = 20.0) -> None:
    """Wait until the stack is back at rest (the consumers have caught up): in half a second, no more CPU than at
    rest and 20 ms (before the rest is measured, 150 ms a second stands for it)."""
    deadline = time.monotonic() + limit
    last = sum(processes.cpu().values())
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(processes.cpu().values())
        if now - last < 0.02 + idle_ms_per_s / 2000:
            return
        last = now


def bare_post_cpu() -> dict[str, float]:
    """CPU microseconds of one bare FastAPI POST (same body, validated), in the bare app's process."""
    process, base = _bare_app()
    try:
        url = f"{base}/submissions"
        run_load("POST", url, body=CASE, connections=CONNECTIONS, seconds=1.0, max_requests=MAX_FILINGS)
        before = _cpu_seconds(process.pid)
        load = run_load(
            "POST", url, body=CASE, connections=CONNECTIONS, seconds=SECONDS, max_requests=MAX_FILINGS, ok_below=300
        )
        spent = _cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait()
    return {"cpu_us": round(1e6 * spent / max(1, load.requests), 1), "rps": round(load.per_second, 1)}


def filing_cpu(stack: Stack, processes: StackProcesses, idle_ms_per_s: float) -> dict:
    """Closed-loop filings through the gateway: the maximum throughput, and every process's CPU per filing."""
    url = f"{stack.gateway_url}/api/case-intake/cases"
    run_load("POST", url, body=CASE, connections=CONNECTIONS, seconds=1.5, max_requests=MAX_FILINGS)  # warm up
    _settle(processes, idle_ms_per_s)
    before, started = processes.cpu(), time.monotonic()
    load = run_load(
        "POST", url, body=CASE, connections=CONNECTIONS, seconds=SECONDS, max_requests=MAX_FILINGS, ok_below=300
    )
    _settle(processes, idle_ms_per_s)
    after, window = processes.cpu(), time.monotonic() - started
    filed = max(1, load.requests)
    per_process = {name: round(1000 * (after[name] - before.get(name, 0.0)) / filed, 3) for name in sorted(after)}
    return {
        "filed_2xx": load.requests,
        "errors": load.errors,
        "max_rps": round(load.per_second, 1),
        "cpu_ms_by_process": per_process,
        "cpu_ms": round(sum(per_process.values()), 3),
        # what the stack spends at rest over the same window (timers, polls), taken out: the filing's own cost
        "cpu_ms_above_idle": round(sum(per_process.values()) - idle_ms_per_s * window / filed, 3),
        "window_s": round(window, 2),
    }


def latency_at(stack: Stack, processes: StackProcesses, rate: float) -> dict:
    """Open-loop filings at `rate` for LATENCY_SECONDS (so at most rate × seconds of them): p50/p99 to the deputy
    inbox, and the highest resident memory seen meanwhile."""
    peak = [processes.rss()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak.append(processes.rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        sent = asyncio.run(_paced_submissions(f"{stack.gateway_url}/api/case-intake/cases", rate, LATENCY_SECONDS))
    finally:
        stop.set()
        sampler.join()
    deadline = time.monotonic() + 30
    while len(latencies := asyncio.run(_latencies_ms(stack, sent))) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.5)
    return {
        "rate_per_s": round(rate, 1),
        "accepted": len(sent),
        "arrived": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "rss_mb_under_load": round(max(peak) / 2**20, 1),
    }


def _round(stack: Stack, processes: StackProcesses, idle_ms_per_s: float) -> dict:
    bare = bare_post_cpu()
    filing = filing_cpu(stack, processes, idle_ms_per_s)
    return {
        "bare_post_cpu_us": bare["cpu_us"],
        "bare_post_rps": bare["rps"],
        **filing,
        "ratio": round(1000 * filing["cpu_ms"] / bare["cpu_us"], 2) if bare["cpu_us"] else None,
        "ratio_above_idle": round(1000 * filing["cpu_ms_above_idle"] / bare["cpu_us"], 2) if bare["cpu_us"] else None,
    }


def _run_on(database_url: str | None, rounds: int) -> dict:
    with running_stack(database_url) as stack:
        processes = StackProcesses(stack, database_url)
        _settle(processes)
        at_rest = processes.rss()
        idle_before = processes.cpu()
        time.sleep(IDLE_SECONDS)
        idle_after = processes.cpu()
        idle = {
            name: round(1000 * (idle_after[name] - idle_before.get(name, 0.0)) / IDLE_SECONDS, 1) for name in idle_after
        }
        idle_total = sum(idle.values())
        measured = [_round(stack, processes, idle_total) for _ in range(rounds)]
        _settle(processes)
        latency = latency_at(stack, processes, SHARE_OF_MAX * max(r["max_rps"] for r in measured))
    ratios = [r["ratio"] for r in measured if r["ratio"]]
    return {
        "ratio_filing_to_bare_post": statistics.median(ratios),
        "ratio_spread": [min(ratios), max(ratios)],
        "ratio_above_idle": statistics.median(r["ratio_above_idle"] for r in measured),
        "cpu_ms_per_filing_above_idle": statistics.median(r["cpu_ms_above_idle"] for r in measured),
        "target_ratio": TARGET_RATIO,
        "cpu_ms_per_filing": statistics.median(r["cpu_ms"] for r in measured),
        "bare_post_cpu_us": statistics.median(r["bare_post_cpu_us"] for r in measured),
        "max_filings_per_s": max(r["max_rps"] for r in measured),
        f"latency_at_{int(SHARE_OF_MAX * 100)}_percent": latency,
        "rss_mb_at_rest": round(at_rest / 2**20, 1),
        "idle_cpu_ms_per_s": {**idle, "total": round(sum(idle.values()), 1)},
        "rss_mb_under_load": latency["rss_mb_under_load"],
        "rounds": measured,
    }


def run(rounds: int = 2) -> dict:
    results = {"sqlite": _run_on(None, rounds)}
    if url := postgres_url():
        results["postgresql"] = _run_on(url, rounds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sqlite-only", action="store_true")
    arguments = parser.parse_args()
    results = {"sqlite": _run_on(None, arguments.rounds)} if arguments.sqlite_only else run(arguments.rounds)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
