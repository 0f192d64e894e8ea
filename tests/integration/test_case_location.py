"""Filing at a point: the case service asks the real grid service (over HTTP) which group grid holds it; while
the grid service cannot answer, the filing gets 503 with Retry-After and nothing is stored."""

from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from devstack.supervisor import free_port
from services.case_intake.models import Case, KnownGrid
from tests.integration.test_gateway_harness import served
from tests.support import RunningService, eventually, start_service

INSIDE = {"lat": 27.9205, "lon": 112.5305}
FAR_AWAY = {"lat": 39.9, "lon": 116.4}  # Beijing, 1,300 km away: no grid of this city is near
NEIGHBOUR = {"lat": 27.9385, "lon": 112.5305}  # 2 km north of the group: another group's centre
TWENTY_KM = {"lat": 28.1005, "lon": 112.5305}
SQUARE = [[112.53, 27.92], [112.531, 27.92], [112.531, 27.921], [112.53, 27.921], [112.53, 27.92]]


@dataclass
class Place:
    grid: RunningService
    case_intake: RunningService
    grid_port: int
    group_id: str
    village_id: str


async def _created(service: RunningService, path: str, body: dict, headers: dict) -> dict:
    answer = await service.client.post(path, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture
async def place(nats_server, databases, keys):
    from shared.auth import Role

    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        port = free_port()
        settings = databases.settings("case_intake", nats_server.url, keys.public, grid_url=f"http://127.0.0.1:{port}")
        case_intake = await start_service(stack, "case_intake", settings)
        office = keys.headers(Role.npc_office)
        township = await _created(grid, "/grids", {"code": "P01", "name": "韶山乡", "level": "township"}, office)
        village = {"code": "P01V01", "name": "韶阳村", "level": "village", "parent_id": township["id"]}
        village = await _created(grid, "/grids", village, office)
        group = {
            "code": "P01V01G01",
            "name": "韶阳村第1组",
            "level": "group",
            "parent_id": village["id"],
            "boundary": {"type": "Polygon", "coordinates": [SQUARE]},
        }
        group = await _created(grid, "/grids", group, office)

        async def known() -> bool:
            async with case_intake.runtime.maker() as session:
                return await session.get(KnownGrid, group["id"]) is not None

        await eventually(known)
        yield Place(grid, case_intake, port, group["id"], village["id"])


def body(**place: object) -> dict:
    return {"kind": "request", "category": "roads", "description": "路面塌陷了一个大坑", **place}


async def cases(place: Place) -> int:
    async with place.case_intake.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(Case))).scalar_one()


async def test_a_point_is_filed_in_the_group_grid_that_holds_it_and_kept_private(place, keys):
    from shared.auth import Role

    client = place.case_intake.client
    async with served(place.grid.app, place.grid_port, lifespan=False):
        answer = await client.post("/cases", json=body(location=INSIDE))
    assert answer.status_code == 201, answer.text
    case = answer.json()
    assert case["grid_id"] == place.group_id and case["location"] == INSIDE
    office = keys.headers(Role.npc_office)
    assert (await client.get(f"/cases/{case['id']}", headers=office)).json()["location"] == INSIDE
    assert (await client.get(f"/cases/track/{case['tracking_code']}")).json()["location"] is None
    board = await client.get(f"/board/{place.village_id}/cases")
    assert board.status_code == 200 and board.json()["total"] == 1
    assert "27.92" not in board.text and "112.53" not in board.text
    assert "27.92" not in str(await _outbox(place))

    async with served(place.grid.app, place.grid_port, lifespan=False):
        chosen = await client.post("/cases", json=body(grid_id=place.group_id, location=INSIDE))  # both: checked
    assert chosen.status_code == 201 and chosen.json()["location"] == INSIDE


async def test_a_point_sent_with_a_grid_must_lie_in_or_near_that_grid(place, keys):
    from shared.auth import Role

    client, office = place.case_intake.client, keys.headers(Role.npc_office)
    for code, centre in (("P01V01G02", NEIGHBOUR), ("P01V01G03", TWENTY_KM)):  # groups with a centre only
        group = {"code": code, "name": code, "level": "group", "parent_id": place.village_id, "centre": centre}
        await _created(place.grid, "/grids", group, office)
    async with served(place.grid.app, place.grid_port, lifespan=False):
        far = await client.post("/cases", json=body(grid_id=place.group_id, location=FAR_AWAY))
        beside = await client.post("/cases", json=body(grid_id=place.group_id, location=NEIGHBOUR))
        elsewhere = await client.post("/cases", json=body(grid_id=place.group_id, location=TWENTY_KM))
    assert far.status_code == 422 and far.json()["field"] == "location", far.text  # 1,300 km away
    assert elsewhere.status_code == 422 and elsewhere.json()["field"] == "location", elsewhere.text
    assert far.headers["content-type"] == elsewhere.headers["content-type"] == "application/problem+json"
    assert beside.status_code == 201, beside.text  # 2 km from the group: within CASE_MAX_POINT_DISTANCE_M
    assert beside.json()["grid_id"] == place.group_id and await cases(place) == 1
    away = await client.post("/cases", json=body(grid_id=place.group_id, location=INSIDE))  # cannot be checked
    assert away.status_code == 503 and await cases(place) == 1


async def test_a_filing_without_a_place_or_far_from_every_grid_is_refused(place):
    client = place.case_intake.client
    neither = await client.post("/cases", json=body())
    assert neither.status_code == 422 and neither.headers["content-type"] == "application/problem+json"
    async with served(place.grid.app, place.grid_port, lifespan=False):
        far = await client.post("/cases", json=body(location=FAR_AWAY))
    assert far.status_code == 422 and far.json()["field"] == "location"
    bad = await client.post("/cases", json=body(location={"lat": 91, "lon": 0}))
    assert bad.status_code == 422
    assert await cases(place) == 0


async def test_while_the_grid_service_is_away_the_filing_waits_and_nothing_is_lost(place):
    client = place.case_intake.client
    headers = {"Idempotency-Key": "offline-point-0001"}
    away = await client.post("/cases", json=body(location=INSIDE), headers=headers)
    assert away.status_code == 503, away.text
    assert away.headers["content-type"] == "application/problem+json" and int(away.headers["retry-after"]) >= 1
    assert await cases(place) == 0
    async with served(place.grid.app, place.grid_port, lifespan=False):
        filed = await client.post("/cases", json=body(location=INSIDE), headers=headers)
        again = await client.post("/cases", json=body(location=INSIDE), headers=headers)
    assert filed.status_code == again.status_code == 201
    assert again.json()["id"] == filed.json()["id"] and filed.json()["grid_id"] == place.group_id
    assert await cases(place) == 1


async def _outbox(place: Place) -> list[str]:
    table = place.case_intake.runtime.tables.outbox
    async with place.case_intake.runtime.maker() as session:
        return [row.body for row in (await session.execute(select(table.c.body))).all()]
