"""The grid service over real NATS and a real database: the tree and its history, open work, access,
assignments' rules, coverage with suggestions, point → grid and search."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime

import nats
import pytest

from services.grid.models import KnownDeputy
from shared.auth import Role
from shared.messaging.bus import Bus
from shared.messaging.catalogue import (
    CaseClosed,
    DeputyRegistered,
    DeputyUpdated,
    EventPayload,
    envelope,
)
from tests.support import case_submitted, eventually, start_service

PROBLEM = "application/problem+json"


def square(west: float, south: float, size: float = 0.01) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


class GridWorld:
    """A running grid service, the office's headers, and a way to publish other services' events."""

    def __init__(self, service, keys, nats_url: str) -> None:
        self.service = service
        self.client = service.client
        self.office = keys.headers(Role.npc_office, subject="office-1")
        self.keys = keys
        self.nats_url = nats_url

    async def create(self, body: dict, **headers: str) -> dict:
        answer = await self.client.post("/grids", json=body, headers={**self.office, **headers})
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def tree(self, district: str | None = "第1选区") -> tuple[dict, dict, list[dict]]:
        """A township, a village and three side-by-side groups (west to east, 0.01° wide each)."""
        township = await self.create({"code": "T1", "name": "韶山乡", "level": "township"})
        village = await self.create(
            {"code": "T1V1", "name": "湘韶村", "level": "village", "parent_id": township["id"], "district": district}
        )
        groups = [
            await self.create(
                {
                    "code": f"T1V1G{index}",
                    "name": f"湘韶村第{index}组",
                    "level": "group",
                    "parent_id": village["id"],
                    "boundary": square(112.50 + 0.01 * (index - 1), 27.90),
                }
            )
            for index in (1, 2, 3)
        ]
        return township, village, groups

    async def publish(self, *payloads: EventPayload) -> None:
        bus = Bus(self.nats_url)
        await bus.connect()
        try:
            for payload in payloads:
                event = envelope("/tests", payload)
                await bus.publish(event.type, event.model_dump_json().encode(), {})
        finally:
            await bus.close()

    async def open_cases(self, grid_id: str) -> int:
        from services.grid.logic.grids import open_case_count

        async with self.service.runtime.maker() as session:
            return await open_case_count(session, grid_id)

    async def known_deputy(self, deputy_id: str, version: int = 1) -> KnownDeputy | None:
        async with self.service.runtime.maker() as session:
            deputy = await session.get(KnownDeputy, deputy_id)
            return deputy if deputy is not None and deputy.version >= version else None


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        yield GridWorld(service, keys, nats_server.url)


def case_closed(case_id: str, grid_id: str) -> CaseClosed:
    return CaseClosed(
        case_id=case_id,
        tracking_code="SS-2611-00001",
        grid_id=grid_id,
        kind="request",
        category="water",
        from_status="resolved",
        to_status="closed",
        deputy_ids=[],
        at=datetime.now(UTC),
    )


def deputy_events(
    code: str, district: str, *, council: bool = False, home_grid_id: str | None = None
) -> tuple[str, list[EventPayload]]:
    deputy_id = str(uuid.uuid4())
    common = {"deputy_id": deputy_id, "code": code, "name": f"代表{code}", "level": "city", "district": district}
    return deputy_id, [
        DeputyRegistered(**common, council_member=council),
        DeputyUpdated(
            **common,
            council_member=council,
            organisation=None,
            home_grid_id=home_grid_id,
            status="active",
            version=1,
            changed=[],
        ),
    ]


# --- the tree -----------------------------------------------------------------------------------------


async def test_the_office_renames_moves_and_retires_a_grid_and_its_history_is_kept(world):
    received: list[str] = []
    connection = await nats.connect(world.nats_url)

    async def collect(message) -> None:  # type: ignore[no-untyped-def]
        received.append(message.subject)

    await connection.subscribe("grid.>", cb=collect)
    township, village, groups = await world.tree()
    other = await world.create({"code": "T2", "name": "杨林乡", "level": "township"})
    group = groups[0]
    assert group["kind"] == "group" and group["has_boundary"] and group["centre_lat"] == pytest.approx(27.905)
    renamed = await world.client.patch(
        f"/grids/{group['id']}", json={"name": "湘韶村第一组", "reason": "村民会议决定"}, headers=world.office
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "湘韶村第一组" and renamed.json()["version"] == 2
    moved = await world.client.patch(f"/grids/{village['id']}", json={"parent_id": other["id"]}, headers=world.office)
    assert moved.json()["parent_id"] == other["id"]
    retired = await world.client.post(
        f"/grids/{group['id']}/retire", json={"retired_on": "2026-03-01", "reason": "并组"}, headers=world.office
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["status"] == "retired" and retired.json()["retired_on"] == "2026-03-01"
    history = (await world.client.get(f"/grids/{group['id']}/history", headers=world.office)).json()
    assert [(item["version"], item["action"]) for item in history["items"]] == [
        (1, "created"),
        (2, "renamed"),
        (3, "retired"),
    ]
    assert history["items"][1]["changes"]["name"] == ["湘韶村第1组", "湘韶村第一组"]
    assert history["items"][1]["reason"] == "村民会议决定" and history["items"][1]["actor"] == "office-1"
    listed = (await world.client.get("/grids", params={"parent_id": village["id"]})).json()
    assert [item["code"] for item in listed["items"]] == ["T1V1G2", "T1V1G3"]
    everything = (await world.client.get("/grids", params={"parent_id": village["id"], "include_retired": True})).json()
    assert everything["total"] == 3

    async def published() -> bool:
        return {"grid.grid.created.v1", "grid.grid.changed.v1", "grid.grid.retired.v1"} <= set(received)

    await eventually(published)
    await connection.close()


async def test_the_level_rules_of_the_tree_hold(world):
    township, village, groups = await world.tree()
    wrong_parent = await world.client.post(
        "/grids",
        json={"code": "X1", "name": "错组", "level": "group", "parent_id": township["id"]},
        headers=world.office,
    )
    assert wrong_parent.status_code == 422 and wrong_parent.headers["content-type"] == PROBLEM
    wrong_kind = await world.client.post(
        "/grids", json={"code": "X2", "name": "某村", "level": "village", "kind": "compound"}, headers=world.office
    )
    assert wrong_kind.status_code == 422
    move_group_under_township = await world.client.patch(
        f"/grids/{groups[0]['id']}", json={"parent_id": township["id"]}, headers=world.office
    )
    assert move_group_under_township.status_code == 422
    duplicate = await world.client.post(
        "/grids", json={"code": "T1", "name": "又一个", "level": "township"}, headers=world.office
    )
    assert duplicate.status_code == 409


async def test_a_self_intersecting_boundary_is_refused_with_a_problem(world):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    answer = await world.client.post(
        "/grids", json={"code": "T9", "name": "怪乡", "level": "township", "boundary": bowtie}, headers=world.office
    )
    assert answer.status_code == 422 and "Self-intersection" in answer.json()["detail"]


async def test_a_grid_with_open_cases_or_active_children_cannot_be_retired(world):
    township, village, groups = await world.tree()
    retire = {"retired_on": "2026-03-01", "reason": "撤并"}
    busy = await world.client.post(f"/grids/{village['id']}/retire", json=retire, headers=world.office)
    assert busy.status_code == 409 and "下面还有" in busy.json()["detail"]

    case_id = str(uuid.uuid4())
    await world.publish(case_submitted(case_id, groups[0]["id"]))
    await eventually(lambda: world.open_cases(groups[0]["id"]))
    answer = await world.client.post(f"/grids/{groups[0]['id']}/retire", json=retire, headers=world.office)
    assert answer.status_code == 409 and "还有 1 件没办完的诉求" in answer.json()["detail"]
    await world.publish(case_closed(case_id, groups[0]["id"]))

    async def retired():
        answer = await world.client.post(f"/grids/{groups[0]['id']}/retire", json=retire, headers=world.office)
        return answer.status_code == 200

    await eventually(retired)


async def test_creating_a_grid_twice_with_one_key_makes_one_grid(world):
    body = {"code": "T1", "name": "韶山乡", "level": "township"}
    first = await world.client.post("/grids", json=body, headers={**world.office, "Idempotency-Key": "grid-key-001"})
    again = await world.client.post("/grids", json=body, headers={**world.office, "Idempotency-Key": "grid-key-001"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert (await world.client.get("/grids")).json()["total"] == 1


# --- access -------------------------------------------------------------------------------------------


async def test_only_the_office_changes_grids_and_assignments(world, keys):
    township, village, groups = await world.tree()
    deputy_id = str(uuid.uuid4())
    made = await world.client.post(
        "/assignments",
        json={"grid_id": groups[0]["id"], "deputy_id": deputy_id, "starts_on": "2026-01-01"},
        headers=world.office,
    )
    for role in (None, Role.villager, Role.deputy, Role.station_staff, Role.agency_officer, Role.finance):
        headers = keys.headers(role, deputy_id=deputy_id) if role else {}
        expected = 403 if role else 401
        attempts = [
            world.client.post("/grids", json={"code": "Z1", "name": "新乡", "level": "township"}, headers=headers),
            world.client.patch(f"/grids/{groups[0]['id']}", json={"name": "改名"}, headers=headers),
            world.client.post(
                f"/grids/{groups[1]['id']}/retire", json={"retired_on": "2026-03-01", "reason": "x"}, headers=headers
            ),
            world.client.post(
                "/assignments",
                json={"grid_id": groups[1]["id"], "deputy_id": deputy_id, "starts_on": "2026-01-01"},
                headers=headers,
            ),
            world.client.post(
                f"/assignments/{made.json()['id']}/end", json={"ends_on": "2026-02-01", "reason": "x"}, headers=headers
            ),
        ]
        for attempt in attempts:
            answer = await attempt
            assert answer.status_code == expected, (role, answer.text)
            assert answer.headers["content-type"] == PROBLEM
        assert (await world.client.get("/grids", headers=headers)).json()["total"] == 5
        assert (await world.client.get("/assignments", headers=headers)).json()["total"] == 1
        coverage = await world.client.get("/coverage", headers=headers)
        assert coverage.status_code == (200 if role == Role.station_staff else expected)


# --- assignments --------------------------------------------------------------------------------------


async def test_a_township_grid_head_must_sit_on_the_chairpersons_council(world):
    township, village, groups = await world.tree()
    member_id, member_events = deputy_events("D1", "第1选区")
    council_id, council_events = deputy_events("D2", "第1选区", council=True)
    await world.publish(*member_events, *council_events)
    await eventually(lambda: world.known_deputy(council_id))
    await eventually(lambda: world.known_deputy(member_id))

    def head(deputy_id: str) -> dict:
        return {"grid_id": township["id"], "deputy_id": deputy_id, "role": "grid_head", "starts_on": "2026-01-01"}

    refused = await world.client.post("/assignments", json=head(member_id), headers=world.office)
    assert refused.status_code == 422 and "主席团成员" in refused.json()["detail"]
    stranger = await world.client.post("/assignments", json=head(str(uuid.uuid4())), headers=world.office)
    assert stranger.status_code == 422 and "这里还查不到这位代表" in stranger.json()["detail"]
    accepted = await world.client.post("/assignments", json=head(council_id), headers=world.office)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["role"] == "grid_head"
    second = await world.client.post("/assignments", json=head(council_id), headers=world.office)
    assert second.status_code == 409
    # a village's grid head need not sit on the council
    village_head = {**head(member_id), "grid_id": village["id"]}
    assert (await world.client.post("/assignments", json=village_head, headers=world.office)).status_code == 201


async def test_an_assignment_ends_once_between_its_start_and_today(world):
    township, village, groups = await world.tree()
    made = await world.client.post(
        "/assignments",
        json={"grid_id": groups[0]["id"], "deputy_id": str(uuid.uuid4()), "starts_on": "2026-01-01"},
        headers=world.office,
    )
    path = f"/assignments/{made.json()['id']}/end"
    before_start = await world.client.post(path, json={"ends_on": "2025-12-31", "reason": "x"}, headers=world.office)
    assert before_start.status_code == 422
    future = await world.client.post(path, json={"ends_on": "2099-01-01", "reason": "x"}, headers=world.office)
    assert future.status_code == 422
    ended = await world.client.post(path, json={"ends_on": "2026-02-01", "reason": "调整"}, headers=world.office)
    assert ended.status_code == 200 and ended.json()["ends_on"] == "2026-02-01"
    assert (
        await world.client.post(path, json={"ends_on": "2026-02-02", "reason": "x"}, headers=world.office)
    ).status_code == 409
    active = (await world.client.get("/assignments", params={"active": True})).json()
    assert active["total"] == 0


async def test_a_retired_deputys_events_end_their_assignments_and_block_new_ones(world):
    from shared.messaging.catalogue import DeputyRetired

    township, village, groups = await world.tree()
    deputy_id, events = deputy_events("D7", "第1选区")
    await world.publish(*events)
    await eventually(lambda: world.known_deputy(deputy_id))
    for group in groups[:2]:
        body = {"grid_id": group["id"], "deputy_id": deputy_id, "starts_on": "2026-01-01"}
        assert (await world.client.post("/assignments", json=body, headers=world.office)).status_code == 201
    await world.publish(
        DeputyRetired(deputy_id=deputy_id, code="D7", retired_on=date(2026, 6, 30), reason="调离", version=2)
    )

    async def ended():
        answer = await world.client.get("/assignments", params={"deputy_id": deputy_id, "active": False})
        return answer.json()["items"] if answer.json()["total"] == 2 else None

    items = await eventually(ended)
    assert {item["ends_on"] for item in items} == {"2026-06-30"}
    assert all(item["end_reason"].startswith("deputy retired") for item in items)
    again = {"grid_id": groups[2]["id"], "deputy_id": deputy_id, "starts_on": "2026-07-01"}
    assert (await world.client.post("/assignments", json=again, headers=world.office)).status_code == 409


# --- coverage -----------------------------------------------------------------------------------------


async def test_coverage_lists_uncovered_groups_with_suggestions_by_district_then_distance(world):
    township, village, groups = await world.tree(district="第1选区")
    far = await world.create(
        {"code": "T1V2", "name": "远村", "level": "village", "parent_id": township["id"], "district": "第2选区"}
    )
    far_group = await world.create(
        {
            "code": "T1V2G1",
            "name": "远村第1组",
            "level": "group",
            "parent_id": far["id"],
            "boundary": square(113.5, 28.5),
        }
    )
    same_district_far, a = deputy_events("A1", "第1选区", home_grid_id=far_group["id"])
    other_near, b = deputy_events("B1", "第2选区", home_grid_id=groups[2]["id"])
    other_far, c = deputy_events("C1", "第2选区", home_grid_id=far_group["id"])
    await world.publish(*a, *b, *c)
    for deputy_id in (same_district_far, other_near, other_far):
        await eventually(lambda deputy_id=deputy_id: world.known_deputy(deputy_id))
    for group in (groups[0], far_group):
        body = {"grid_id": group["id"], "deputy_id": other_far, "starts_on": "2026-01-01", "basis": "proximity"}
        assert (await world.client.post("/assignments", json=body, headers=world.office)).status_code == 201

    report = (await world.client.get("/coverage", headers=world.office)).json()
    assert report["groups_total"] == 4 and report["groups_covered"] == 2 and report["total"] == 2
    assert [item["grid"]["code"] for item in report["items"]] == ["T1V1G2", "T1V1G3"]
    first = report["items"][0]
    assert first["district"] == "第1选区"
    assert [(s["code"], s["reason"]) for s in first["suggestions"]] == [
        ("A1", "same_district"),
        ("B1", "nearest"),
        ("C1", "nearest"),
    ]
    assert first["suggestions"][1]["distance_m"] < first["suggestions"][2]["distance_m"]
    assert first["suggestions"][2]["active_assignments"] == 2
    assert [grid["code"] for grid in report["townships_without_head"]] == ["T1"]
    paged = (await world.client.get("/coverage", params={"limit": 1, "offset": 1}, headers=world.office)).json()
    assert [item["grid"]["code"] for item in paged["items"]] == ["T1V1G3"] and paged["total"] == 2


# --- point → grid, search -----------------------------------------------------------------------------


async def test_a_point_resolves_to_its_group_and_the_index_follows_changes(world):
    township, village, groups = await world.tree()

    async def resolve(lat: float, lon: float) -> dict:
        answer = await world.client.get("/resolve", params={"lat": lat, "lon": lon})
        assert answer.status_code == 200, answer.text
        return answer.json()

    inside = await resolve(27.905, 112.515)
    assert inside["grid"]["code"] == "T1V1G2" and inside["method"] == "boundary"
    on_shared_edge = await resolve(27.905, 112.51)
    assert on_shared_edge["grid"]["code"] == "T1V1G1"
    outside = await resolve(27.80, 112.525)
    assert outside["method"] == "nearest_centre" and outside["grid"]["code"] == "T1V1G3"
    assert outside["distance_m"] > 10_000
    await world.client.post(
        f"/grids/{groups[0]['id']}/retire", json={"retired_on": "2026-03-01", "reason": "并组"}, headers=world.office
    )
    assert (await resolve(27.905, 112.51))["grid"]["code"] == "T1V1G2"
    await world.client.patch(
        f"/grids/{groups[2]['id']}", json={"boundary": square(112.60, 27.90)}, headers=world.office
    )
    assert (await resolve(27.905, 112.605))["grid"]["code"] == "T1V1G3"
    bad = await world.client.get("/resolve", params={"lat": 91, "lon": 0})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM


async def test_no_group_grid_yet_resolves_to_a_problem(world):
    answer = await world.client.get("/resolve", params={"lat": 27.9, "lon": 112.5})
    assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM


async def test_villagers_find_their_village_by_name_pinyin_or_initials(world):
    await world.tree()
    await world.create({"code": "T2", "name": "长湖乡", "level": "township"})
    for typed in ("湘韶", "xiangshao", "Xiang Shao", "xsc", "XSC"):
        found = (await world.client.get("/grids", params={"q": typed})).json()
        assert found["items"][0]["name"] == "湘韶村", typed
        assert {item["level"] for item in found["items"]} == {"village", "group"}
    assert (await world.client.get("/grids", params={"q": "chx"})).json()["items"][0]["name"] == "长湖乡"
    assert (await world.client.get("/grids", params={"q": "100%"})).json()["total"] == 0
