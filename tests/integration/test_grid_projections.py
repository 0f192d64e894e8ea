"""Every service's copy of the grid tree behaves the same: one abstract test, subclassed for each service that
projects `grid.grid.*` events (as the eventsourcing library subclasses its recorder tests per adapter).

Through each service's real consumer, on its real database: an event is applied once (a redelivery changes
nothing), a stale version never overwrites a newer one, and any delivery order converges on the newest state.
"""

import itertools
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime

from sqlalchemy import select

from services.case_intake.models import KnownGrid as CaseKnownGrid
from services.deputy.models import KnownGrid as DeputyKnownGrid
from services.micro_funding.models import KnownGrid as FundingKnownGrid
from services.station_scheduling.models import KnownGrid as StationKnownGrid
from shared.messaging.catalogue import GridChanged, GridCreated, GridRetired, envelope
from tests.support import start_service

GRID_ID = "7e0c9d6f-1111-4222-8333-944455550001"
PARENT_ID = "7e0c9d6f-1111-4222-8333-944455550000"
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def created() -> GridCreated:
    return GridCreated(grid_id=GRID_ID, code="430382010199", name="旧名第9组", level="group", parent_id=PARENT_ID)


def changed(version: int, name: str) -> GridChanged:
    return GridChanged(
        grid_id=GRID_ID,
        code="430382010199",
        name=name,
        level="group",
        kind="group",
        parent_id=PARENT_ID,
        district=None,
        population=None,
        households=None,
        centre_lat=None,
        centre_lon=None,
        has_boundary=False,
        changed=["name"],
        version=version,
        at=AT,
    )


def retired(version: int) -> GridRetired:
    return GridRetired(
        grid_id=GRID_ID,
        code="430382010199",
        level="group",
        parent_id=PARENT_ID,
        retired_on=date(2026, 12, 1),
        reason="merged into group 8",
        version=version,
    )


class GridProjectionContract:
    """Subclass with `service` (the process name) and `model` (its KnownGrid class)."""

    service: str
    model: type

    async def _run(self, stack, nats_server, databases, keys):  # type: ignore[no-untyped-def]
        running = await start_service(
            stack, self.service, databases.settings(self.service, nats_server.url, keys.public)
        )
        consumer = next(c for c in running.runtime.consumers if GridChanged.event_type in c.handlers)
        return running, consumer

    async def _row(self, running):  # type: ignore[no-untyped-def]
        async with running.runtime.maker() as session:
            row = (await session.execute(select(self.model).where(self.model.id == GRID_ID))).scalar_one_or_none()
            return None if row is None else (row.name, row.status, row.version)

    async def test_an_event_is_applied_once(self, nats_server, databases, keys) -> None:
        async with AsyncExitStack() as stack:
            running, consumer = await self._run(stack, nats_server, databases, keys)
            event = envelope("/grid", changed(2, "新名第9组"))
            assert await consumer.apply_once(envelope("/grid", created()))
            assert await consumer.apply_once(event)
            assert not await consumer.apply_once(event)  # redelivered: acknowledged and ignored
            assert await self._row(running) == ("新名第9组", "active", 2)

    async def test_a_stale_version_never_overwrites_a_newer_one(self, nats_server, databases, keys) -> None:
        async with AsyncExitStack() as stack:
            running, consumer = await self._run(stack, nats_server, databases, keys)
            for payload in (created(), changed(3, "第三版"), changed(2, "第二版"), created()):
                await consumer.apply_once(envelope("/grid", payload))
            assert await self._row(running) == ("第三版", "active", 3)
            await consumer.apply_once(envelope("/grid", retired(4)))
            await consumer.apply_once(envelope("/grid", changed(3, "第三版")))
            assert await self._row(running) == ("第三版", "retired", 4)

    async def test_any_delivery_order_converges(self, nats_server, databases, keys) -> None:
        events = [created(), changed(2, "第二版"), changed(3, "第三版")]
        async with AsyncExitStack() as stack:
            running, consumer = await self._run(stack, nats_server, databases, keys)
            for order in itertools.permutations(range(len(events))):
                async with running.runtime.maker() as session, session.begin():
                    await session.execute(self.model.__table__.delete())
                await consumer.apply_batch([envelope("/grid", events[i]) for i in order], [{}] * len(order))
                assert await self._row(running) == ("第三版", "active", 3), order


class TestDeputyGridProjection(GridProjectionContract):
    service = "deputy"
    model = DeputyKnownGrid


class TestStationGridProjection(GridProjectionContract):
    service = "station_scheduling"
    model = StationKnownGrid


class TestFundingGridProjection(GridProjectionContract):
    service = "micro_funding"
    model = FundingKnownGrid


class TestCaseIntakeGridProjection(GridProjectionContract):
    service = "case_intake"
    model = CaseKnownGrid
