"""A small city built through the services' own APIs: one township, village and group, and a deputy."""

from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlalchemy import select

from services.case_intake.models import RoutingEntry
from shared.auth import Role
from tests.support import Databases, Keys, NatsServer, RunningService, eventually, start_service


@dataclass
class City:
    grid: RunningService
    deputy: RunningService
    case_intake: RunningService
    group_id: str
    deputy_id: str
    deputy_headers: dict[str, str]


async def _created(service: RunningService, path: str, body: dict, headers: dict[str, str]) -> dict:
    answer = await service.client.post(path, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def build_city(stack: AsyncExitStack, nats: NatsServer, databases: Databases, keys: Keys) -> City:
    services = {}
    for name in ("grid", "deputy", "case_intake"):
        services[name] = await start_service(stack, name, databases.settings(name, nats.url, keys.public))
    office = keys.headers(Role.npc_office)
    grid = services["grid"]
    township = await _created(grid, "/grids", {"code": "T01", "name": "韶山乡", "level": "township"}, office)
    village = await _created(
        grid, "/grids", {"code": "T01V01", "name": "韶阳村", "level": "village", "parent_id": township["id"]}, office
    )
    group = await _created(
        grid,
        "/grids",
        {"code": "T01V01G01", "name": "韶阳村第1组", "level": "group", "parent_id": village["id"]},
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
