"""Benchmarks of the grid and deputy services: `python -m tests.bench.grid_bench` prints figures.

1. Point → group grid over 100,000 generated group polygons: the STRtree index alone, then the service's
   whole path (`logic.locate.resolve_point`: index revision check, lookup, the grid's row) on a real database.
2. The statistics (city and township level, one year) over 100,000 records of duty.

SQLite in a temporary folder by default; BENCH_DATABASE_URL=postgresql+asyncpg://... runs on PostgreSQL
(a schema of its own, dropped afterwards). Aims: under 1 ms a lookup, under 200 ms for the statistics.
"""

import asyncio
import json
import os
import random
import statistics as stats
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from shapely.geometry import box

from shared.auth import generate_keypair
from shared.config import SERVICE_PACKAGES, Settings
from shared.migrations import upgrade

POLYGONS = 100_000
LOOKUPS = 20_000
RECORDS = 100_000
SOUTH, WEST, NORTH, EAST = 27.0, 111.5, 29.0, 113.5  # a province-sized box around 韶山
ROWS, COLUMNS = 250, 400  # 100,000 cells


def cells() -> list[tuple[str, tuple[float, float, float, float]]]:
    """(code, (south, west, north, east)) of a grid of rectangles, slightly jittered so that no two are alike."""
    random.seed(7)
    height, width = (NORTH - SOUTH) / ROWS, (EAST - WEST) / COLUMNS
    result = []
    for row in range(ROWS):
        for column in range(COLUMNS):
            south, west = SOUTH + row * height, WEST + column * width
            shrink = random.uniform(0, 0.05) * width
            result.append((f"G{row:03d}{column:03d}", (south, west + shrink, south + height, west + width - shrink)))
    return result


def points(count: int) -> list[tuple[float, float]]:
    random.seed(11)
    return [(random.uniform(SOUTH, NORTH), random.uniform(WEST, EAST)) for _ in range(count)]


def rate(seconds: float, count: int) -> str:
    return f"{count / seconds:,.0f}/s ({seconds / count * 1e6:,.1f} µs each)"


# --- 1. point → grid ----------------------------------------------------------------------------------------


def bench_index() -> None:
    from services.grid.domain.geo import GridLocator, IndexedGrid

    grids = [IndexedGrid(code, ((s + n) / 2, (w + e) / 2), box(w, s, e, n)) for code, (s, w, n, e) in cells()]
    started = time.perf_counter()
    locator = GridLocator(grids)
    built = time.perf_counter() - started
    sample = points(LOOKUPS)
    started = time.perf_counter()
    found = [locator.locate(lat, lon) for lat, lon in sample]
    took = time.perf_counter() - started
    inside = sum(1 for item in found if item and item.method == "boundary")
    print(f"point → grid, index only, {len(grids):,} polygons: built in {built:.2f} s")
    print(f"  {LOOKUPS:,} random points: {rate(took, LOOKUPS)}; {inside:,} inside a boundary, the rest nearest centre")
    outside = [(lat - 3.0, lon) for lat, lon in sample[:2000]]
    started = time.perf_counter()
    for lat, lon in outside:
        locator.locate(lat, lon)
    print(f"  2,000 points outside every boundary (nearest centre): {rate(time.perf_counter() - started, 2000)}")


async def _fill_grids(runtime) -> None:  # type: ignore[no-untyped-def]
    from services.grid.models import Grid, IndexState

    now = datetime.now(UTC)
    village, township = str(uuid.uuid4()), str(uuid.uuid4())
    rows = [
        {"id": township, "code": "T", "name": "省", "level": "township", "kind": "township", "parent_id": None},
        {"id": village, "code": "V", "name": "村", "level": "village", "kind": "village", "parent_id": township},
    ]
    for code, (s, w, n, e) in cells():
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "code": code,
                "name": code,
                "level": "group",
                "kind": "group",
                "parent_id": village,
                "boundary": json.dumps({"type": "Polygon", "coordinates": [ring]}),
                "centre_lat": (s + n) / 2,
                "centre_lon": (w + e) / 2,
            }
        )
    defaults = {
        "name_pinyin": "",
        "name_initials": "",
        "status": "active",
        "version": 1,
        "is_demo": True,
        "boundary": None,
        "centre_lat": None,
        "centre_lon": None,
    }
    async with runtime.maker() as session:
        for start in range(0, len(rows), 5000):
            chunk = [{**defaults, "created_at": now, **row} for row in rows[start : start + 5000]]
            await session.execute(Grid.__table__.insert(), chunk)
        await session.execute(IndexState.__table__.update().values(revision=1))
        await session.commit()


async def bench_service_path(settings: Settings) -> None:
    from services.grid.app import create_app
    from services.grid.logic import locate

    runtime = create_app(settings).state.runtime
    try:
        started = time.perf_counter()
        await _fill_grids(runtime)
        print(f"point → grid, the service's path on {settings.database_url.split(':')[0]}:")
        print(f"  stored {POLYGONS:,} group grids in {time.perf_counter() - started:.1f} s")
        async with runtime.maker() as session:
            started = time.perf_counter()
            await locate.locator(session, runtime)
            print(f"  index built from the database in {time.perf_counter() - started:.1f} s (once per change)")
            sample = points(2000)
            started = time.perf_counter()
            for lat, lon in sample:
                await locate.resolve_point(session, runtime, lat, lon)
            took = time.perf_counter() - started
        print(f"  2,000 lookups (index + the grid's row; revision checked once a second): {rate(took, 2000)}")
    finally:
        await runtime.engine.dispose()


# --- 2. statistics -----------------------------------------------------------------------------------------


def _record_rows(grid_ids: list[str], deputy_ids: list[str]) -> list[dict]:
    random.seed(3)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = [
        ("field_visit", None, None),
        ("case_accepted", None, None),
        ("case_resolved", "issues_resolved", "livelihood"),
        ("dispute_mediated", "disputes_mediated", "dispute"),
        ("suggestion", "suggestions", "suggestion"),
        ("livelihood_matter", "livelihood_matters", "livelihood"),
        ("reception", "visitors", None),
        ("inspection", None, "inspection"),
    ]
    rows = []
    now = datetime.now(UTC)
    for index in range(RECORDS):
        kind, metric, five_one = kinds[index % len(kinds)]
        shared_fact = kind in ("case_resolved", "dispute_mediated") and index % 3 == 0  # co-handled facts
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "deputy_id": deputy_ids[index % len(deputy_ids)],
                "kind": kind,
                "source": "event" if kind.startswith(("case", "dispute")) else "entry",
                "roles": "servant",
                "occurred_at": start + timedelta(minutes=random.randrange(60 * 24 * 365)),
                "grid_id": grid_ids[index % len(grid_ids)],
                "fact_key": f"{kind}:{index - 1 if shared_fact else index}",
                "metric": metric,
                "quantity": random.randint(1, 5) if kind == "reception" else 1,
                "five_one": five_one,
                "summary": kind,
                "created_at": now,
            }
        )
    return rows


def _fact(row: dict) -> dict:
    keys = ("fact_key", "metric", "quantity", "grid_id", "occurred_at")
    return {key: row[key] for key in keys}


async def _fill_records(runtime) -> list[str]:  # type: ignore[no-untyped-def]
    from devstack.demo import city as demo_city
    from services.deputy.models import DutyFact, DutyRecord, KnownGrid, SupportPair

    grids = demo_city.grids()
    by_code = {grid.code: grid for grid in grids}
    known = []
    for grid in grids:
        village = grid if grid.level == "village" else by_code.get(grid.parent_code or "")
        township = grid if grid.level == "township" else by_code.get(village.parent_code or "") if village else None
        known.append(
            {
                "id": grid.id,
                "code": grid.code,
                "name": grid.name,
                "level": grid.level,
                "parent_id": grid.parent_id,
                "township_id": township.id if township else None,
                "village_id": village.id if village and grid.level != "township" else None,
                "status": "active",
                "version": 1,
            }
        )
    groups = [grid.id for grid in grids if grid.level == "group"]
    deputies = [deputy.id for deputy in demo_city.deputies()]
    pairs = [
        {
            "id": str(uuid.uuid4()),
            "deputy_id": deputies[index % len(deputies)],
            "household": "某户",
            "need": "困难",
            "grid_id": groups[index % len(groups)],
            "starts_on": date(2026, 1, 1) + timedelta(days=index % 300),
            "ends_on": None,
            "created_at": datetime.now(UTC),
        }
        for index in range(236)
    ]
    async with runtime.maker() as session:
        await session.execute(KnownGrid.__table__.insert(), known)
        await session.execute(SupportPair.__table__.insert(), pairs)
        rows = _record_rows(groups, deputies)
        for start in range(0, len(rows), 5000):
            await session.execute(DutyRecord.__table__.insert(), rows[start : start + 5000])
        facts = list({row["fact_key"]: _fact(row) for row in reversed(rows) if row["metric"]}.values())
        for start in range(0, len(facts), 5000):
            await session.execute(DutyFact.__table__.insert(), facts[start : start + 5000])
        await session.commit()
    return [grid.id for grid in grids if grid.level == "township"]


async def _timed(runtime, first: date, last: date, grid_id: str | None, rounds: int = 7) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    from services.deputy.views.statistics import statistics

    times, result = [], {}
    for _ in range(rounds):
        async with runtime.maker() as session:
            started = time.perf_counter()
            result = (await statistics(session, first, last, grid_id=grid_id)).model_dump()
            times.append(time.perf_counter() - started)
    return stats.median(times) * 1000, result


async def bench_statistics(settings: Settings) -> None:
    from services.deputy.app import create_app

    runtime = create_app(settings).state.runtime
    try:
        started = time.perf_counter()
        townships = await _fill_records(runtime)
        print(f"statistics over {RECORDS:,} records of duty on {settings.database_url.split(':')[0]}:")
        print(f"  stored in {time.perf_counter() - started:.1f} s")
        year = (date(2026, 1, 1), date(2026, 12, 31))
        took, city = await _timed(runtime, *year, None)
        print(f"  city, one year, by township: {took:.0f} ms (median of 7)  total: {city['total']}")
        took, _ = await _timed(runtime, *year, townships[0])
        print(f"  one township, one year, by village: {took:.0f} ms")
        took, _ = await _timed(runtime, date(2026, 3, 1), date(2026, 3, 31), None)
        print(f"  city, one month: {took:.0f} ms")
    finally:
        await runtime.engine.dispose()


# --- running ------------------------------------------------------------------------------------------------


def _settings(service: str, folder: Path, public_key: Path, schema: str) -> Settings:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return Settings(
            service_name=service, database_url=url, database_schema=schema, token_public_key_file=public_key
        )
    return Settings(
        service_name=service,
        database_url=f"sqlite+aiosqlite:///{folder / service}.db",
        token_public_key_file=public_key,
    )


async def _drop(settings: Settings) -> None:
    if settings.database_schema:
        import asyncpg

        connection = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
        finally:
            await connection.close()


def main() -> None:
    import logging

    logging.disable(logging.INFO)
    bench_index()
    with tempfile.TemporaryDirectory() as folder:
        generate_keypair(Path(folder) / "key.pem", Path(folder) / "key.pub.pem")
        suffix = uuid.uuid4().hex[:8]
        for service, run in (("grid", bench_service_path), ("deputy", bench_statistics)):
            settings = _settings(service, Path(folder), Path(folder) / "key.pub.pem", f"bench_{service}_{suffix}")
            upgrade(SERVICE_PACKAGES[service], settings)
            try:
                asyncio.run(run(settings))
            finally:
                asyncio.run(_drop(settings))


if __name__ == "__main__":
    main()
