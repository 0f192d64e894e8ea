"""What one `case.case.submitted.v2` costs each consumer of it, in process (issue #21): CPU and SQL statements.

    .venv/bin/python -m tests.bench.consumer_profile [--events 300] [--profile deputy]

Starts each consuming service in process (its migrations, its app's lifespan, a NATS of its own) on SQLite, or
on PostgreSQL with TEST_DATABASE_URL, and hands its CASE consumer the events one at a time as a single fetched
message is handled (decode, inbox, projection, commit; no NATS round trip, no ack), then in batches of 10. Prints
CPU µs and statements per event for each. `--profile NAME` prints the cProfile of that service's single-event
run, `--show-sql` the statements of one event.
"""

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from shared.messaging.catalogue import CaseSubmittedV2, envelope
from shared.messaging.envelope import CloudEvent
from tests.support import Databases, Keys, NatsServer, start_service

SERVICES = ("deputy", "grid", "micro_funding", "notification", "station_scheduling")


def _events(count: int, grid_id: str, deputy_ids: list[str]) -> list[bytes]:
    now = datetime.now(UTC)
    bodies = []
    for number in range(count):
        payload = CaseSubmittedV2(
            case_id=str(uuid.uuid4()),
            tracking_code=f"T{number:07d}",
            grid_id=grid_id,
            kind="request",
            category="roads",
            channel="web",
            public=True,
            submitted_at=now,
            accept_due_at=now + timedelta(days=3),
            assigned_deputy_ids=deputy_ids,
        )
        bodies.append(envelope("case_intake", payload).model_dump_json().encode())
    return bodies


async def _measure(name: str, consumer, bodies: list[bytes], batch: int, profiler: cProfile.Profile | None) -> dict:
    statements = 0
    last: list[str] = []

    def count(_connection, _cursor, statement: str, *_: object) -> None:
        nonlocal statements
        statements += 1
        last.append(statement)

    engine = consumer.context.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        started, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for at in range(0, len(bodies), batch):
            last.clear()
            chunk = bodies[at : at + batch]
            events = [CloudEvent.model_validate_json(body) for body in chunk]
            if batch == 1:
                await consumer.apply_once(events[0], {})
            else:
                await consumer.apply_batch(events, [{} for _ in events])
        if profiler:
            profiler.disable()
        spent, wall = time.process_time() - started, time.perf_counter() - wall
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {
        "cpu_us": round(1e6 * spent / len(bodies)),
        "wall_us": round(1e6 * wall / len(bodies)),
        "statements": round(statements / len(bodies), 2),
        "sql": list(last),
    }


async def run(count: int, profile: str | None, show_sql: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="consumer-profile-"))
    keys = Keys(folder)
    server = NatsServer(folder / "jetstream")
    server.start()
    databases = Databases(folder)
    try:
        for name in SERVICES:
            async with AsyncExitStack() as stack:
                service = await start_service(stack, name, databases.settings(name, server.url, keys.public))
                consumer = next(c for c in service.runtime.consumers if c.stream == "CASE")
                await _measure(name, consumer, _events(20, "g-1", ["d-1", "d-2"]), 1, None)  # warm up
                profiler = cProfile.Profile() if profile == name else None
                one = await _measure(name, consumer, _events(count, "g-1", ["d-1", "d-2"]), 1, profiler)
                ten = await _measure(name, consumer, _events(count, "g-1", ["d-1", "d-2"]), 10, None)
                sql = one.pop("sql")
                ten.pop("sql")
                print(f"{name:20} one by one: {one}   batches of 10: {ten}", flush=True)
                if show_sql:
                    print("\n".join(f"    {' '.join(statement.split())[:160]}" for statement in sql))
                if profiler:
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    finally:
        await databases.drop_all()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--profile", choices=SERVICES)
    parser.add_argument("--show-sql", action="store_true", help="the statements of one event, for each service")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.events, arguments.profile, arguments.show_sql))


if __name__ == "__main__":
    main()
