"""Case intake's copy of the grid tree is projected by version: a stale grid event never overwrites a newer one
(it once applied grid.grid.changed without looking), and a retirement keeps the name it had. The database is
migrated to head first, so this also runs the migration that gave known_grids their code, status and version."""

import asyncio
import uuid
from datetime import UTC, date, datetime

from services.case_intake import projections
from services.case_intake.models import KnownGrid
from shared.db import create_engine, create_sessionmaker
from shared.messaging.catalogue import GridChanged, GridCreated, GridRetired
from shared.migrations import upgrade

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)


def changed(grid_id: str, name: str, version: int) -> GridChanged:
    return GridChanged(
        grid_id=grid_id, code="T09V01G01", name=name, level="group", kind="rural", parent_id=None, district=None,
        population=None, households=None, centre_lat=None, centre_lon=None, has_boundary=False, changed=["name"],
        version=version, at=AT,
    )  # fmt: skip


async def test_a_stale_grid_change_after_a_newer_one_does_not_overwrite_it(databases, keys):
    settings = databases.settings("case_intake", "nats://127.0.0.1:1", keys.public)
    await asyncio.to_thread(upgrade, "services.case_intake", settings)
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    grid_id = str(uuid.uuid4())

    async def apply(handler, payload) -> KnownGrid:  # type: ignore[no-untyped-def]
        async with maker() as session, session.begin():
            await handler(session, None, payload)
        async with maker() as session:
            found = await session.get(KnownGrid, grid_id)
            assert found is not None
            return found

    try:
        created = GridCreated(grid_id=grid_id, code="T09V01G01", name="第1组", level="group", parent_id=None)
        assert (await apply(projections.on_grid_created, created)).version == 1
        newer = await apply(projections.on_grid_changed, changed(grid_id, "第一村民小组", 3))
        assert (newer.name, newer.version) == ("第一村民小组", 3)
        stale = await apply(projections.on_grid_changed, changed(grid_id, "旧名字", 2))
        assert (stale.name, stale.version) == ("第一村民小组", 3)
        again = await apply(projections.on_grid_created, created)  # a redelivered creation is older still
        assert (again.name, again.version) == ("第一村民小组", 3)
        retired = GridRetired(
            grid_id=grid_id, code="T09V01G01", level="group", parent_id=None, retired_on=date(2026, 11, 3),
            reason="merged", version=4,
        )  # fmt: skip
        gone = await apply(projections.on_grid_retired, retired)
        assert (gone.status, gone.name, gone.code, gone.version) == ("retired", "第一村民小组", "T09V01G01", 4)
    finally:
        await engine.dispose()
