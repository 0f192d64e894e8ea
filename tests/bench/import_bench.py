"""Onboarding a county from spreadsheets: `python -m tests.bench.import_bench` prints the seconds.

414 deputies, 260 grids (with their boundaries as GeoJSON) and 900 assignments (every deputy in their home group
and a neighbouring one, 68 in a village too, and each township's head), each file an XLSX in the templates'
shape, sent to the grid and deputy services as the office's screen sends them (multipart, through their HTTP
routes in-process, with real NATS carrying the events between them): the dry run, the commit, and the same
files again (nothing changes). SQLite in a temporary folder by default; BENCH_DATABASE_URL (or
TEST_DATABASE_URL) = postgresql+asyncpg://... runs on PostgreSQL.
"""

import asyncio
import json
import os
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from devstack.demo import city as demo_city
from shared.auth import Role
from tests.integration.sheets import upload, xlsx
from tests.support import Databases, Keys, NatsServer, eventually, start_service

LEVELS = {"township": "乡镇", "village": "村", "group": "组"}
DEPUTY_LEVELS = {"city": "市级", "township": "乡镇级", "both": "两级"}
ASSIGNMENTS = 900


def grid_file() -> tuple[bytes, bytes]:
    grids = demo_city.grids()
    rows: list[list[Any]] = [["编码", "名称", "层级", "上级编码", "选区", "人口", "户数"]]
    rows += [[g.code, g.name, LEVELS[g.level], g.parent_code, g.district, g.population, g.households] for g in grids]
    features = [
        {"type": "Feature", "properties": {"code": g.code}, "geometry": {"type": "Polygon", "coordinates": [g.ring]}}
        for g in grids
    ]
    return xlsx(rows), json.dumps({"type": "FeatureCollection", "features": features}).encode()


def deputy_file() -> bytes:
    rows: list[list[Any]] = [
        [
            "代表编码",
            "姓名",
            "代表层级",
            "选区",
            "单位职务",
            "联系电话",
            "是否主任会议成员",
            "所在网格",
            "居住地纬度",
            "居住地经度",
        ]
    ]
    for d in demo_city.deputies():
        council = "是" if d.council_member else "否"
        rows.append(
            [d.code, d.name, DEPUTY_LEVELS[d.level], d.district, d.organisation, d.phone, council, d.home_grid_code]
            + list(d.home)
        )
    return xlsx(rows)


def assignment_file() -> bytes:
    """Home group, the next group, a village for the first 68, and the four townships' heads: 900 rows."""
    groups = [g for g in demo_city.grids() if g.level == "group"]
    villages = [g for g in demo_city.grids() if g.level == "village"]
    index = {g.code: n for n, g in enumerate(groups)}
    rows: list[list[Any]] = [["代表编码", "网格编码", "角色", "依据", "开始日期"]]
    deputies = demo_city.deputies()
    for d in deputies:
        rows.append([d.code, d.home_grid_code, "成员", "原选区", "2026-01-01"])
        rows.append([d.code, groups[(index[d.home_grid_code] + 1) % len(groups)].code, "成员", "就近", "2026-01-01"])
    for n, d in enumerate(deputies[: ASSIGNMENTS - 2 * len(deputies) - 4]):
        rows.append([d.code, villages[n % len(villages)].code, "成员", "就近", "2026-01-01"])
    for township, head in demo_city.grid_heads():
        rows.append([head.code, township.code, "网格长", "原选区", "2026-01-01"])
    assert len(rows) - 1 == ASSIGNMENTS
    return xlsx(rows)


async def _count(service: Any, model: Any) -> int:
    async with service.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _timed(figures: dict[str, float], name: str, client: Any, path: str, content: bytes, office: dict, **kw):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = await upload(client, path, content, office, **kw)
    figures[name] = round(time.perf_counter() - started, 2)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


async def bench(folder: Path) -> dict[str, Any]:
    from services.deputy.models import KnownGrid
    from services.grid.models import KnownDeputy

    nats = NatsServer(folder / "jetstream")
    nats.start()
    keys, databases = Keys(folder), Databases(folder)
    databases.postgres_url = os.environ.get("BENCH_DATABASE_URL") or databases.postgres_url
    office = keys.headers(Role.npc_office)
    (grids, shapes), deputies, assignments = grid_file(), deputy_file(), assignment_file()
    seconds: dict[str, float] = {}
    try:
        async with AsyncExitStack() as stack:
            grid = await start_service(stack, "grid", databases.settings("grid", nats.url, keys.public))
            deputy = await start_service(stack, "deputy", databases.settings("deputy", nats.url, keys.public))
            for commit in (False, True):
                step = "commit" if commit else "dry_run"
                report = await _timed(
                    seconds,
                    f"grids_{step}",
                    grid.client,
                    "/imports/grids",
                    grids,
                    office,
                    boundaries=shapes,
                    commit=commit,
                )
                assert report["created"] == 260
            await eventually(lambda: _at_least(_count(deputy, KnownGrid), 260), timeout=60)
            for commit in (False, True):
                step = "commit" if commit else "dry_run"
                report = await _timed(
                    seconds, f"deputies_{step}", deputy.client, "/imports/deputies", deputies, office, commit=commit
                )
                assert report["created"] == 414
            await eventually(lambda: _at_least(_count(grid, KnownDeputy), 414), timeout=60)
            for commit in (False, True):
                step = "commit" if commit else "dry_run"
                report = await _timed(
                    seconds,
                    f"assignments_{step}",
                    grid.client,
                    "/imports/assignments",
                    assignments,
                    office,
                    commit=commit,
                )
                assert report["created"] == ASSIGNMENTS, report["errors"][:3]
            await _timed(
                seconds, "grids_again", grid.client, "/imports/grids", grids, office, boundaries=shapes, commit=True
            )
            await _timed(seconds, "deputies_again", deputy.client, "/imports/deputies", deputies, office, commit=True)
            await _timed(
                seconds, "assignments_again", grid.client, "/imports/assignments", assignments, office, commit=True
            )
    finally:
        nats.stop()
        await databases.drop_all()
    commits = ("grids_commit", "deputies_commit", "assignments_commit")
    return {
        "database": databases.kind,
        "rows": {"grids": 260, "deputies": 414, "assignments": ASSIGNMENTS},
        "seconds": seconds,
        "all_three_committed_seconds": round(sum(seconds[name] for name in commits), 2),
        "committed_rows_per_s": round((260 + 414 + ASSIGNMENTS) / sum(seconds[name] for name in commits)),
        "file_bytes": {
            "grids": len(grids),
            "boundaries": len(shapes),
            "deputies": len(deputies),
            "assignments": len(assignments),
        },
    }


async def _at_least(value: Any, expected: int) -> bool:
    return await value >= expected


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        return asyncio.run(bench(Path(folder)))


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
