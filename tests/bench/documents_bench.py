"""The printed documents' benchmark: `python -m tests.bench.documents_bench` prints figures.

A township's annual duty reports (履职报告) as one PDF, the office's heaviest document: the demo city's largest
township (its deputies by home and assignment, like the route) with a year of records of duty each (cases
accepted, referred and resolved, mediations, receptions, projects, visits, five ones), read from a real deputy
database (SQLite in a temporary folder; BENCH_DATABASE_URL=postgresql+asyncpg://... for PostgreSQL) by the
route's own views and laid out by its own code. Also one deputy's report and one village's QR posters.
Aim: a township's file in seconds.
"""

import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from shared.auth import generate_keypair
from shared.config import SERVICE_PACKAGES, Settings
from shared.migrations import upgrade

RECORDS_PER_DEPUTY = 60
KINDS = [
    ("case_accepted", None, None, "water"),
    ("case_referred", None, None, "roads"),
    ("case_resolved", "issues_resolved", "livelihood", "sanitation"),
    ("dispute_mediated", "disputes_mediated", "dispute", "调解协议达成"),
    ("reception_held", None, None, "联络站接待"),
    ("visitor_received", "visitors", None, "land"),
    ("project_proposed", None, None, "村道路灯改造"),
    ("inspection", None, "inspection", "视察农村饮水安全工程"),
    ("suggestion", "suggestions", "suggestion", "建议增设村口公交站台"),
    ("field_visit", None, None, "走访独居老人"),
]


def _known_grids() -> list[dict]:
    from devstack.demo import city as demo_city

    grids = demo_city.grids()
    by_code = {grid.code: grid for grid in grids}
    rows = []
    for grid in grids:
        village = grid if grid.level == "village" else by_code.get(grid.parent_code or "")
        township = grid if grid.level == "township" else by_code.get(village.parent_code or "") if village else None
        rows.append(
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
    return rows


async def _fill(runtime, year: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The demo city's grids, deputies, assignments (each deputy in their home group) and a year of records."""
    from devstack.demo import city as demo_city
    from services.deputy.models import Deputy, DutyRecord, KnownAssignment, KnownGrid

    random.seed(5)
    now = datetime.now(UTC)
    grids = {grid.code: grid for grid in demo_city.grids()}
    deputies = demo_city.deputies()
    people = [
        {
            "id": deputy.id, "code": deputy.code, "name": deputy.name, "level": deputy.level,
            "district": deputy.district, "council_member": deputy.council_member, "organisation": deputy.organisation,
            "contact_phone": deputy.phone, "home_lat": deputy.home[0], "home_lon": deputy.home[1],
            "home_grid_id": grids[deputy.home_grid_code].id, "status": "active", "version": 1, "is_demo": True,
            "created_at": now,
        }
        for deputy in deputies
    ]  # fmt: skip
    assignments = [
        {
            "id": str(uuid.uuid4()), "deputy_id": deputy.id, "grid_id": grids[deputy.home_grid_code].id,
            "role": "member", "basis": "electoral_district", "starts_on": date(year, 1, 1), "ends_on": None,
        }
        for deputy in deputies
    ]  # fmt: skip
    start = datetime(year, 1, 1, 1, tzinfo=UTC)
    records = []
    for deputy in deputies:
        home = grids[deputy.home_grid_code].id
        for index in range(RECORDS_PER_DEPUTY):
            kind, metric, five_one, summary = KINDS[index % len(KINDS)]
            records.append(
                {
                    "id": str(uuid.uuid4()), "deputy_id": deputy.id, "kind": kind, "source": "event",
                    "roles": "informant", "occurred_at": start + timedelta(hours=random.randrange(0, 24 * 330)),
                    "grid_id": home, "fact_key": f"{kind}:{deputy.code}:{index}", "metric": metric, "quantity": 1,
                    "five_one": five_one, "summary": summary, "created_at": now,
                }
            )  # fmt: skip
    async with runtime.maker() as session:
        await session.execute(KnownGrid.__table__.insert(), _known_grids())
        await session.execute(Deputy.__table__.insert(), people)
        await session.execute(KnownAssignment.__table__.insert(), assignments)
        for first in range(0, len(records), 5000):
            await session.execute(DutyRecord.__table__.insert(), records[first : first + 5000])
        await session.commit()
    townships = [grid for grid in grids.values() if grid.level == "township"]
    counts = {township.id: sum(d.home_grid_code.startswith(township.code) for d in deputies) for township in townships}
    largest = max(townships, key=lambda township: counts[township.id])
    return {"township_id": largest.id, "township": largest.name, "deputy_id": deputies[0].id}


async def _township_file(runtime, township_id: str, year: int) -> tuple[float, float, int, int, int]:  # type: ignore[no-untyped-def]
    """(seconds reading, seconds laying out, deputies, pages, bytes) of one township's file, as the route does."""
    import pypdfium2

    from services.deputy.documents import duty_reports_pdf
    from services.deputy.views.report import duty_report, load_tree, township_deputies

    started = time.perf_counter()
    async with runtime.maker() as session:
        township, deputies = await township_deputies(session, township_id, year)
        tree = await load_tree(session)
        reports = [await duty_report(session, deputy, year, tree) for deputy in deputies]
    read = time.perf_counter() - started
    started = time.perf_counter()
    content = duty_reports_pdf(
        reports, title=f"{township.name}{year}年度代表履职报告", issuer="代表工委", printed_at=datetime.now(UTC)
    )
    laid = time.perf_counter() - started
    document = pypdfium2.PdfDocument(content)
    pages = len(document)
    document.close()
    return read, laid, len(deputies), pages, len(content)


async def bench(settings: Settings) -> dict[str, float]:
    from services.deputy.app import create_app
    from services.deputy.documents import duty_reports_pdf
    from services.deputy.models import Deputy
    from services.deputy.views.report import duty_report, load_tree

    year = datetime.now(UTC).year
    runtime = create_app(settings).state.runtime
    try:
        place = await _fill(runtime, year)
        read, laid, deputies, pages, size = await _township_file(runtime, place["township_id"], year)
        print(f"a township's duty reports as one PDF ({place['township']}, {deputies} deputies, "
              f"{RECORDS_PER_DEPUTY} records each, {settings.database_url.split(':')[0]}):")  # fmt: skip
        print(f"  {read + laid:.1f} s in all: reading {read:.2f} s, laying out and writing {laid:.2f} s")
        print(f"  {pages} A4 pages, {size / 1024:,.0f} KB ({(read + laid) / pages * 1000:.0f} ms a page)")
        started = time.perf_counter()
        async with runtime.maker() as session:
            deputy = await session.get(Deputy, place["deputy_id"])
            report = await duty_report(session, deputy, year, await load_tree(session))
        one = duty_reports_pdf([report], title="履职报告", issuer="代表工委", printed_at=datetime.now(UTC))
        single = time.perf_counter() - started
        print(f"  one deputy's report: {single:.2f} s ({len(one) / 1024:,.0f} KB)")
        return {
            "township_duty_reports_s": round(read + laid, 2),
            "township_deputies": deputies,
            "township_pages": pages,
            "one_duty_report_s": round(single, 2),
        }
    finally:
        await runtime.engine.dispose()


def bench_posters() -> float:
    """A village's QR posters (one page a group), laid out from data in memory: the font and QR codes alone."""
    from types import SimpleNamespace

    from services.station_scheduling.documents import posters_pdf
    from services.station_scheduling.views.documents import Poster

    posters = [
        Poster(
            group=SimpleNamespace(id=str(uuid.uuid4()), name=f"韶阳村第{index}组"),  # type: ignore[arg-type]
            places=["韶山乡", "韶阳村", f"韶阳村第{index}组"],
            deputies=["毛春华", "李桂兰"],
            village_deputies=False,
            station=None,
        )
        for index in range(1, 13)
    ]
    started = time.perf_counter()
    posters_pdf(posters, title="扫码反映问题", public_url="https://deputies.example.gov.cn", issuer="代表工委",
                printed_at=datetime.now(UTC))  # fmt: skip
    took = time.perf_counter() - started
    print(f"a village's 12 QR posters as one PDF: {took:.2f} s")
    return took


def _settings(folder: Path, public_key: Path) -> Settings:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        schema = f"bench_documents_{uuid.uuid4().hex[:8]}"
        return Settings(
            service_name="deputy", database_url=url, database_schema=schema, token_public_key_file=public_key
        )
    return Settings(
        service_name="deputy", database_url=f"sqlite+aiosqlite:///{folder}/deputy.db", token_public_key_file=public_key
    )


def run() -> dict[str, float]:
    import logging

    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        generate_keypair(Path(folder) / "key.pem", Path(folder) / "key.pub.pem")
        settings = _settings(Path(folder), Path(folder) / "key.pub.pem")
        upgrade(SERVICE_PACKAGES["deputy"], settings)
        try:
            figures = asyncio.run(bench(settings))
        finally:
            if settings.database_schema:
                from tests.support import drop_schemas

                asyncio.run(drop_schemas(settings.database_url, [settings.database_schema]))
    figures["village_posters_s"] = round(bench_posters(), 2)
    return figures


if __name__ == "__main__":
    print(run())
