"""A small city built through the services' own APIs: one township, village and group, and a deputy."""

from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlalchemy import select

from devstack.supervisor import free_port
from services.case_intake.models import RoutingEntry
from shared.auth import Role
from tests.support import Databases, Keys, NatsServer, RunningService, eventually, start_service

GROUP_CENTRE = {"lat": 27.9205, "lon": 112.5305}


@dataclass
class City:
    grid: RunningService
    deputy: RunningService
    case_intake: RunningService
    group_id: str
    deputy_id: str
    deputy_headers: dict[str, str]
    grid_port: int
    """Where case intake asks for a point's grid: serve `grid.app` on it to file at a point."""


async def _created(service: RunningService, path: str, body: dict, headers: dict[str, str]) -> dict:
    answer = await service.client.post(path, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def build_city(stack: AsyncExitStack, nats: NatsServer, databases: Databases, keys: Keys) -> City:
    services = {}
    grid_port = free_port()
    for name in ("grid", "deputy", "case_intake"):
        settings = databases.settings(name, nats.url, keys.public, grid_url=f"http://127.0.0.1:{grid_port}")
        services[name] = await start_service(stack, name, settings)
    office = keys.headers(Role.npc_office)
    grid = services["grid"]
    township = await _created(grid, "/grids", {"code": "T01", "name": "韶山乡", "level": "township"}, office)
    village = await _created(
        grid, "/grids", {"code": "T01V01", "name": "韶阳村", "level": "village", "parent_id": township["id"]}, office
    )
    group = await _created(
        grid,
        "/grids",
        {
            "code": "T01V01G01",
            "name": "韶阳村第1组",
            "level": "group",
            "parent_id": village["id"],
            "centre": GROUP_CENTRE,
        },
        office,
    )
    deputy = await _created(
        services["deputy"],
        "/deputies",
        {"code": "D9001", "name": "毛春华", "level": "township", "district": "韶山乡第3选区"},
        office,
    )
    await _created(
        grid, "/assignments", {"grid_id": group["id"], "deputy_id": deputy["id"], "starts_on": "2026-01-01"}, office
    )
    await eventually(lambda: _routed(services["case_intake"], group["id"]))
    return City(
        grid=grid,
        deputy=services["deputy"],
        case_intake=services["case_intake"],
        group_id=group["id"],
        deputy_id=deputy["id"],
        deputy_headers=keys.headers(Role.deputy, deputy_id=deputy["id"]),
        grid_port=grid_port,
    )


async def _routed(case_intake: RunningService, grid_id: str) -> bool:
    async with case_intake.runtime.maker() as session:
        query = select(RoutingEntry.deputy_id).where(RoutingEntry.grid_id == grid_id)
        return (await session.execute(query)).first() is not None


def case_body(city: City, **changes: object) -> dict:
    return {
        "kind": "request",
        "category": "water",
        "description": "村里水费涨了，大家想知道为什么。",
        "grid_id": city.group_id,
        **changes,
    }


async def inbox_case_ids(city: City) -> list[str]:
    answer = await city.deputy.client.get("/inbox", headers=city.deputy_headers, params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return [item["case_id"] for item in answer.json()["items"]]


# --- a town for the case service alone: its grid projection fed with grid events through real NATS ----------


@dataclass
class Town:
    """The case service with one township (and its grid head), a village and two groups with a deputy each.

    The grid facts arrive as grid events published on NATS, as the grid service would publish them, so the
    case tests do not depend on the other services.
    """

    case_intake: RunningService
    keys: Keys
    nats_url: str
    township_id: str
    village_id: str
    group_id: str
    other_group_id: str
    deputy_id: str
    other_deputy_id: str
    head_id: str

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.case_intake.client

    def deputy(self, deputy_id: str | None = None) -> dict[str, str]:
        return self.keys.headers(Role.deputy, deputy_id=deputy_id or self.deputy_id)

    def office(self) -> dict[str, str]:
        return self.keys.headers(Role.npc_office, subject="office-1")

    def staff(self) -> dict[str, str]:
        return self.keys.headers(Role.station_staff, subject="staff-1")

    def villager(self, subject: str = "villager-1") -> dict[str, str]:
        return self.keys.headers(Role.villager, subject=subject)

    def officer(self, organisation: str = "water-bureau", subject: str = "officer-1") -> dict[str, str]:
        return self.keys.headers(Role.agency_officer, subject=subject, organisation=organisation)

    async def file(self, headers: dict[str, str] | None = None, **changes: object) -> dict:
        body = {
            "kind": "request",
            "category": "water",
            "description": "村里水费涨了，大家想知道为什么。",
            "grid_id": self.group_id,
            **changes,
        }
        answer = await self.client.post("/cases", json=body, headers=headers or {})
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def act(self, case_id: str, action: str, headers: dict[str, str], body: dict | None = None, status=200):  # type: ignore[no-untyped-def]
        answer = await self.client.post(f"/cases/{case_id}/{action}", json=body or {}, headers=headers)
        assert answer.status_code == status, answer.text
        return answer.json()

    async def publish(self, *payloads: object) -> None:
        import nats

        from shared.messaging.catalogue import envelope

        connection = await nats.connect(self.nats_url)
        try:
            stream = connection.jetstream()
            for payload in payloads:
                event = envelope("/grid", payload)  # type: ignore[arg-type]
                await stream.publish(event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
        finally:
            await connection.close()

    async def outbox(self, event_type: str | None = None) -> list[dict]:
        """The events the case service staged (bodies as JSON), oldest first."""
        import json

        table = self.case_intake.runtime.tables.outbox
        query = select(table.c.body).order_by(table.c.seq)
        if event_type:
            query = query.where(table.c.event_type == event_type)
        async with self.case_intake.runtime.maker() as session:
            return [json.loads(row.body) for row in (await session.execute(query)).all()]


async def build_town(stack: AsyncExitStack, nats: NatsServer, databases: Databases, keys: Keys, **extra) -> Town:  # type: ignore[no-untyped-def]
    import uuid
    from datetime import date

    from shared.messaging.catalogue import AssignmentStarted, GridCreated

    service = await start_service(
        stack, "case_intake", databases.settings("case_intake", nats.url, keys.public, **extra)
    )
    ids = {name: str(uuid.uuid4()) for name in ("township", "village", "group", "other_group", "d1", "d2", "head")}
    town = Town(
        service,
        keys,
        nats.url,
        ids["township"],
        ids["village"],
        ids["group"],
        ids["other_group"],
        ids["d1"],
        ids["d2"],
        ids["head"],
    )
    grids = [
        GridCreated(grid_id=ids["township"], code="T09", name="韶山乡", level="township", parent_id=None),
        GridCreated(grid_id=ids["village"], code="T09V01", name="韶阳村", level="village", parent_id=ids["township"]),
        GridCreated(grid_id=ids["group"], code="T09V01G01", name="第1组", level="group", parent_id=ids["village"]),
        GridCreated(
            grid_id=ids["other_group"], code="T09V01G02", name="第2组", level="group", parent_id=ids["village"]
        ),
    ]
    start = date(2026, 1, 1)
    assignments = [
        AssignmentStarted(
            assignment_id=str(uuid.uuid4()),
            grid_id=grid,
            deputy_id=deputy,
            role=role,
            basis="proximity",
            starts_on=start,
        )
        for grid, deputy, role in (
            (ids["group"], ids["d1"], "member"),
            (ids["other_group"], ids["d2"], "member"),
            (ids["township"], ids["head"], "grid_head"),
        )
    ]
    await town.publish(*grids, *assignments)

    async def projected() -> bool:
        async with service.runtime.maker() as session:
            query = select(RoutingEntry.assignment_id).where(RoutingEntry.deputy_id == ids["head"])
            return (await session.execute(query)).first() is not None

    await eventually(projected)
    return town
