"""A load generator that is not the bottleneck: several processes, each an aiohttp client with N connections."""

import asyncio
import multiprocessing
import statistics
import time
import uuid
from dataclasses import dataclass

import aiohttp


@dataclass
class Figures:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, float]:
        return {
            "rps": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "requests": self.requests,
        }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _worker(session, method, url, body, headers, stop_at, budget, ok_below, latencies, errors) -> None:  # type: ignore[no-untyped-def]
    while time.perf_counter() < stop_at and len(latencies) + len(errors) < budget:
        started = time.perf_counter()
        request_headers = {**headers, "Idempotency-Key": uuid.uuid4().hex} if body is not None else headers
        try:
            async with session.request(method, url, json=body, headers=request_headers) as answer:
                await answer.read()
                ok = answer.status < ok_below
        except aiohttp.ClientError:
            ok = False
        if ok:
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors.append(1)


async def _one_process(method, url, body, headers, connections, seconds, budget, ok_below):  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    errors: list[int] = []
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(
            *[
                _worker(session, method, url, body, headers, stop_at, budget, ok_below, latencies, errors)
                for _ in range(connections)
            ]
        )
        return latencies, len(errors), time.perf_counter() - started


def _process_entry(args):  # type: ignore[no-untyped-def]
    return asyncio.run(_one_process(*args))


def run_load(
    method: str,
    url: str,
    *,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    connections: int = 20,
    seconds: float = 5.0,
    processes: int = 2,
    max_requests: int = 1_000_000,
    ok_below: int = 400,
) -> Figures:
    """Closed-loop load: `connections` in flight, split across `processes`, for `seconds` and at most about
    `max_requests` requests (each process stops at its share); answers with a status below `ok_below` count."""
    per_process = max(1, connections // processes)
    budget = max(1, max_requests // processes)
    args = (method, url, body, headers or {}, per_process, seconds, budget, ok_below)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_process_entry, [args] * processes)
    elapsed = max(result[2] for result in results)
    latencies = [value for result in results for value in result[0]]
    return Figures(
        requests=len(latencies),
        errors=sum(result[1] for result in results),
        seconds=elapsed,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=percentile(latencies, 0.99),
    )
