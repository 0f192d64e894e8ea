"""What the station tests share: the service running against real NATS and a real database, a movable clock,
and a small city (grids, deputies, assignments) fed to it as grid and deputy events through the broker.

The grid and deputy services are not started: the test publishes the events they would publish, so that the
station tests do not depend on those services' own work in progress. Nothing here is a test itself.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import nats
import pytest
from nats.aio.client import Client
from sqlalchemy import func, select

from services.station_scheduling.models import KnownAssignment, KnownDeputy, KnownGrid
from shared.auth import Role
from shared.clock import MovableClock
from shared.messaging.catalogue import AssignmentStarted, DeputyRegistered, EventPayload, GridCreated, envelope
from tests.support import Databases, Keys, NatsServer, RunningService, eventually, start_service

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday 2 March 2026, 08:00 in Asia/Shanghai
WEEKDAYS = [{"weekday": day, "opens": "08:30", "closes": "17:30"} for day in range(1, 6)]


def grid_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "test-grid:" + code))


def deputy_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "test-deputy:" + code))


async def publish(nc: Client, payload: EventPayload, source: str = "/test") -> None:
    """Publish an event as its owning service's relay would: CloudEvents JSON, Nats-Msg-Id = event id."""
    event = envelope(source, payload)
    await nc.jetstream().publish(
        payload.event_type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
    )


@dataclass
class World:
    service: RunningService
    clock: MovableClock
    nc: Client
    keys: Keys
    station_id: str = ""
    staff: dict[str, str] = field(default_factory=dict)

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.service.client

    def villager(self, name: str) -> dict[str, str]:
        return self.keys.headers(Role.villager, subject=f"villager-{name}")

    def deputy(self, code: str) -> dict[str, str]:
        return self.keys.headers(Role.deputy, subject=f"deputy-{code}", deputy_id=deputy_id(code))

    async def created(self, path: str, body: dict, headers: dict[str, str] | None = None) -> dict:
        answer = await self.client.post(path, json=body, headers=headers or self.staff)
        assert answer.status_code == 201, answer.text
        return answer.json()


CITY_GRIDS = [
    ("T1", "township", None),
    ("T1V1", "village", "T1"),
    ("T1V1G1", "group", "T1V1"),
    ("T1V1G2", "group", "T1V1"),
    ("T2", "township", None),
    ("T2V1", "village", "T2"),
    ("T2V1G1", "group", "T2V1"),
]
CITY_DEPUTIES = [("D1", "T1V1G1"), ("D2", "T1V1G1"), ("D3", "T1V1G2"), ("D4", "T1V1G2"), ("D5", "T2V1G1")]


async def _feed_city(nc: Client) -> None:
    for code, level, parent in CITY_GRIDS:
        parent_id = grid_id(parent) if parent else None
        grid = GridCreated(grid_id=grid_id(code), code=code, name=code, level=level, parent_id=parent_id)
        await publish(nc, grid, "/grid")
    for index, (code, group) in enumerate(CITY_DEPUTIES, start=1):
        deputy = DeputyRegistered(
            deputy_id=deputy_id(code),
            code=code,
            name=f"代表{index}",
            level="township",
            district="第1选区",
            council_member=False,
        )
        await publish(nc, deputy, "/deputy")
        assignment = AssignmentStarted(
            assignment_id=str(uuid.uuid4()),
            grid_id=grid_id(group),
            deputy_id=deputy_id(code),
            role="member",
            basis="electoral_district",
            starts_on=date(2026, 1, 1),
        )
        await publish(nc, assignment, "/grid")


async def _city_known(service: RunningService) -> bool:
    async with service.runtime.maker() as db:
        counts = [
            (await db.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (KnownGrid, KnownDeputy, KnownAssignment)
        ]
    return counts == [len(CITY_GRIDS), len(CITY_DEPUTIES), len(CITY_DEPUTIES)]


async def build_world(stack: AsyncExitStack, nats_server: NatsServer, databases: Databases, keys: Keys) -> World:
    settings = databases.settings("station_scheduling", nats_server.url, keys.public, relay_poll_seconds=0.1)
    service = await start_service(stack, "station_scheduling", settings)
    clock = MovableClock(START)
    service.runtime.clock = clock
    nc = await nats.connect(nats_server.url)
    stack.push_async_callback(nc.close)
    world = World(service=service, clock=clock, nc=nc, keys=keys, staff=keys.headers(Role.station_staff))
    await _feed_city(nc)
    await eventually(lambda: _city_known(service))
    station = await world.created(
        "/stations",
        {
            "code": "T1-S",
            "name": "一号乡人大代表联络站",
            "tier": "township",
            "township_grid_id": grid_id("T1"),
            "address": "一号乡政府大院",
            "opening_hours": "周一至周五 08:30-17:30",
            "hours": WEEKDAYS,
        },
    )
    world.station_id = station["id"]
    return world


@pytest.fixture(name="world")
async def world_fixture(nats_server, databases, keys) -> AsyncIterator[World]:
    """The station service with its small city; import `world_fixture` and ask for `world`."""
    async with AsyncExitStack() as stack:
        yield await build_world(stack, nats_server, databases, keys)


def session_body(world: World, **changes: object) -> dict:
    """A session on Monday 9 March 2026, 09:00-11:00 in Asia/Shanghai, with D1 and D2 on duty."""
    return {
        "station_id": world.station_id,
        "starts_at": "2026-03-09T09:00:00+08:00",
        "ends_at": "2026-03-09T11:00:00+08:00",
        "capacity": 10,
        "topic": "水费与村务公开",
        "deputy_ids": [deputy_id("D1"), deputy_id("D2")],
        **changes,
    }
