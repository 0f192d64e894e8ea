"""What the case service alone spends on one filing, in-process: SQL statements and CPU (issue #21).

    .venv/bin/python -m tests.bench.filing_profile [--filings 400] [--concurrency 8] [--profile out.prof]

The case service runs as the tests run it (tests/integration/city.py's town: its app in this process, a real
nats-server, a SQLite file or, with TEST_DATABASE_URL, a PostgreSQL schema); the filings are the bench's
(anonymous, with an Idempotency-Key, a group grid) sent through httpx's ASGI transport. It reports the
statements of one filing's request and of the relay's publishing of its event, and this process's CPU per
filing over a bounded load (the HTTP client's share included: compare runs of this tool with each other, not
with tests/bench/cost_bench.py). With --profile, the load runs under cProfile and the stats are written there.
"""

import argparse
import asyncio
import cProfile
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

from sqlalchemy import event, func, select

from shared.db import create_engine
from tests.integration.city import build_town
from tests.support import Databases, Keys, NatsServer, eventually


def _kind(statement: str) -> str:
    words = re.sub(r"\s+", " ", statement.strip()).split(" ")
    verb = words[0].upper()
    if verb in ("INSERT", "DELETE"):
        return f"{verb} {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    if verb == "SELECT" and re.search(r"(?i)\sFROM\s", statement):
        return "SELECT " + re.split(r"\s+", re.split(r"(?i)\sFROM\s", statement, maxsplit=1)[1].strip())[0]
    return verb


class Statements:
    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        self.seen[_kind(statement)] += 1

    def take(self) -> Counter[str]:
        seen, self.seen = self.seen, Counter()
        return seen


async def _published(runtime, engine) -> bool:  # type: ignore[no-untyped-def]
    """No outbox row left unsent (asked on an engine of its own, so its statements are not counted)."""
    table = runtime.tables.outbox
    async with engine.connect() as connection:
        query = select(func.count()).select_from(table).where(table.c.published_at.is_(None))
        return (await connection.execute(query)).scalar_one() == 0


async def main(filings: int, concurrency: int, profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        nats = NatsServer(Path(folder) / "nats")
        nats.start()
        databases = Databases(Path(folder))
        try:
            async with AsyncExitStack() as stack:
                town = await build_town(stack, nats, databases, Keys(Path(folder)))
                runtime = town.case_intake.runtime
                checker = create_engine(runtime.settings)
                stack.push_async_callback(checker.dispose)
                body = {
                    "kind": "request",
                    "category": "roads",
                    "description": "村口的桥栏杆坏了。",
                    "grid_id": town.group_id,
                }

                async def file() -> None:
                    answer = await town.client.post("/cases", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                    assert answer.status_code == 201, answer.text

                for _ in range(30):  # warm up: statement caches, the reference cache
                    await file()
                await eventually(lambda: _published(runtime, checker))
                statements = Statements()
                event.listen(runtime.engine.sync_engine, "before_cursor_execute", statements)
                await file()
                request = statements.take()
                await eventually(lambda: _published(runtime, checker))
                relay = statements.take()
                await asyncio.sleep(1.0)  # the relay's sweep comes every poll; keep it out of the count above
                statements.take()
                print(f"database: {databases.kind}")
                print(f"one filing's request: {sum(request.values())} statements")
                for kind, count in sorted(request.items()):
                    print(f"    {count:3d}  {kind}")
                print(f"the relay publishing it: {sum(relay.values())} statements")
                for kind, count in sorted(relay.items()):
                    print(f"    {count:3d}  {kind}")

                queue = iter(range(filings))

                async def worker() -> None:
                    for _ in queue:
                        await file()

                profiler = cProfile.Profile() if profile else None
                started, wall = time.process_time(), time.perf_counter()
                if profiler:
                    profiler.enable()
                await asyncio.gather(*[worker() for _ in range(concurrency)])
                await eventually(lambda: _published(runtime, checker), interval=0.01)
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(profile)
                cpu, elapsed = time.process_time() - started, time.perf_counter() - wall
                total = statements.take()
                print(
                    f"{filings} filings, {concurrency} at once: {cpu / filings * 1000:.2f} ms CPU a filing "
                    f"(this process, client included), {filings / elapsed:.0f} filings/s, "
                    f"{sum(total.values()) / filings:.1f} statements a filing with the relay's and its sweeps'"
                )
        finally:
            await databases.drop_all()
            nats.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", default=None)
    arguments = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    asyncio.run(main(min(arguments.filings, 5000), arguments.concurrency, arguments.profile))
