"""The deputy service with the grid service over real NATS and real databases: deputies' profiles and who
sees them, events both ways, the record of duty from case events and own entries, five ones, statistics."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta

import nats
import pytest
from sqlalchemy import select

from services.deputy.models import InboxCase, KnownGrid
from services.grid.models import KnownDeputy
from shared.auth import Role
from shared.clock import MovableClock
from shared.messaging.bus import Bus
from shared.messaging.catalogue import (
    CaseAccepted,
    CaseResolved,
    CaseSubmittedV2,
    DisputeMediated,
    EventPayload,
    GridChanged,
    GridCreated,
    GridRetired,
    envelope,
)
from tests.support import case_submitted, eventually, start_service

PHONE = "13912345678"
YEAR = datetime.now(UTC).year


class World:
    """Grid and deputy services on one NATS, the office's headers, and a way to publish case events."""

    def __init__(self, grid, deputy, keys, nats_url: str) -> None:
        self.grid, self.deputy, self.keys, self.nats_url = grid, deputy, keys, nats_url
        self.office = keys.headers(Role.npc_office, subject="office-1")
        self.staff = keys.headers(Role.station_staff, subject="staff-1")

    async def post(self, service, path: str, body: dict, headers: dict | None = None) -> dict:
        answer = await service.client.post(path, json=body, headers=self.office if headers is None else headers)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    async def city(self) -> dict[str, dict]:
        """Two townships; a village in each; two groups in the first village, one in the second."""
        made: dict[str, dict] = {}
        for code, name, level, parent in [
            ("T1", "韶山乡", "township", None),
            ("T2", "银田镇", "township", None),
            ("T1V1", "韶阳村", "village", "T1"),
            ("T2V1", "银田村", "village", "T2"),
            ("T1V1G1", "韶阳村第1组", "group", "T1V1"),
            ("T1V1G2", "韶阳村第2组", "group", "T1V1"),
            ("T2V1G1", "银田村第1组", "group", "T2V1"),
        ]:
            body = {"code": code, "name": name, "level": level, "parent_id": made[parent]["id"] if parent else None}
            made[code] = await self.post(self.grid, "/grids", body)

        async def projected():
            async with self.deputy.runtime.maker() as session:
                rows = (await session.execute(select(KnownGrid))).scalars().all()
                return len(rows) == 7 and all(row.township_id for row in rows)

        await eventually(projected)
        return made

    async def register(self, code: str, *, council: bool = False, home_grid_id: str | None = None) -> dict:
        body = {
            "code": code,
            "name": f"代表{code}",
            "level": "township",
            "district": "第0101选区",
            "council_member": council,
            "organisation": "韶阳村村民委员会",
            "contact_phone": PHONE,
            "home_location": {"lat": 27.91, "lon": 112.51},
            "home_grid_id": home_grid_id,
        }
        return await self.post(self.deputy, "/deputies", body)

    def as_deputy(self, deputy_id: str) -> dict[str, str]:
        return self.keys.headers(Role.deputy, deputy_id=deputy_id, subject=f"deputy-{deputy_id[:8]}")

    async def publish(self, *payloads: EventPayload) -> None:
        bus = Bus(self.nats_url)
        await bus.connect()
        try:
            for payload in payloads:
                event = envelope("/tests", payload)
                await bus.publish(event.type, event.model_dump_json().encode(), {})
        finally:
            await bus.close()

    async def accepted_suggestion(self, deputy: dict[str, str], **fields) -> dict:
        """A suggestion the deputy (with `deputy`'s headers) drafts, its co-signers sign, and the office accepts."""
        body = {"title": "老旧小区加装充电桩", "problem": "楼道充电", "proposal": "建充电桩", **fields}
        made = await self.post(self.deputy, "/suggestions", body, deputy)
        for cosigner in fields.get("cosigner_ids", []):
            await self.post(self.deputy, f"/suggestions/{made['id']}/sign", {}, self.as_deputy(cosigner))
        await self.post(self.deputy, f"/suggestions/{made['id']}/submit", {}, deputy)
        return await self.post(self.deputy, f"/suggestions/{made['id']}/accept", {})

    async def record(self, deputy_id: str, headers: dict | None = None, **params) -> dict:
        answer = await self.deputy.client.get(
            f"/deputies/{deputy_id}/record", params=params, headers=self.office if headers is None else headers
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        yield World(grid, deputy, keys, nats_server.url)


def case_step(kind: type, case_id: str, grid_id: str, deputy_ids: list[str], **changes) -> EventPayload:
    values = {
        "case_id": case_id,
        "tracking_code": "SS-2611-00042",
        "grid_id": grid_id,
        "kind": "request",
        "category": "water",
        "from_status": "assigned",
        "to_status": "accepted",
        "deputy_ids": deputy_ids,
        "actor_deputy_id": deputy_ids[0],
        "at": datetime.now(UTC),
        **changes,
    }
    return kind(**values)


def submitted(case_id: str, grid_id: str, deputy_ids: list[str]) -> CaseSubmittedV2:
    at = datetime.now(UTC) - timedelta(minutes=5)
    return case_submitted(case_id, grid_id, deputy_ids, at, tracking_code="SS-2611-00042")


# --- profiles, events both ways -------------------------------------------------------------------------


async def test_profile_changes_and_retirement_reach_the_grid_which_ends_the_assignments(world):
    grids = await world.city()
    deputy = await world.register("D1", council=True, home_grid_id=grids["T1V1G1"]["id"])

    async def known(version: int):
        async with world.grid.runtime.maker() as session:
            row = await session.get(KnownDeputy, deputy["id"])
            return row if row is not None and row.version >= version else None

    row = await eventually(lambda: known(1))
    assert row.council_member and row.home_grid_id == grids["T1V1G1"]["id"]
    head = {"grid_id": grids["T1"]["id"], "deputy_id": deputy["id"], "role": "grid_head", "starts_on": "2026-01-01"}
    await world.post(world.grid, "/assignments", head)
    member = {"grid_id": grids["T1V1G1"]["id"], "deputy_id": deputy["id"], "starts_on": "2026-01-01"}
    await world.post(world.grid, "/assignments", member)

    changed = await world.deputy.client.patch(
        f"/deputies/{deputy['id']}", json={"council_member": False}, headers=world.office
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert not (await eventually(lambda: known(2))).council_member
    other_head = {**head, "grid_id": grids["T2"]["id"]}
    refused = await world.grid.client.post("/assignments", json=other_head, headers=world.office)
    assert refused.status_code == 422

    retired = await world.deputy.client.post(
        f"/deputies/{deputy['id']}/retire",
        json={"retired_on": "2026-06-30", "reason": "任期届满"},
        headers=world.office,
    )
    assert retired.status_code == 200 and retired.json()["status"] == "retired"

    async def ended():
        answer = await world.grid.client.get("/assignments", params={"deputy_id": deputy["id"], "active": True})
        return answer.json()["total"] == 0

    await eventually(ended)
    again = await world.deputy.client.post(
        f"/deputies/{deputy['id']}/retire", json={"retired_on": "2026-06-30", "reason": "x"}, headers=world.office
    )
    assert again.status_code == 409


async def test_events_carry_no_contact_details(world):
    bodies: list[bytes] = []
    connection = await nats.connect(world.nats_url)

    async def collect(message) -> None:  # type: ignore[no-untyped-def]
        bodies.append(message.data)

    await connection.subscribe("deputy.>", cb=collect)
    deputy = await world.register("D2")
    await world.deputy.client.patch(
        f"/deputies/{deputy['id']}", json={"contact_phone": "13800000000", "name": "新名字"}, headers=world.office
    )

    async def three() -> bool:
        return len(bodies) >= 3

    await eventually(three)
    await connection.close()
    assert not any(b"1391234" in body or b"1380000" in body or b"27.91" in body for body in bodies)


# --- who sees what ----------------------------------------------------------------------------------------


async def test_villagers_see_the_public_profile_and_officials_a_masked_contact(world, keys):
    deputy = await world.register("D3")
    path = f"/deputies/{deputy['id']}"
    for headers in ({}, keys.headers(Role.villager)):
        one = (await world.deputy.client.get(path, headers=headers)).json()
        listed = (await world.deputy.client.get("/deputies", headers=headers)).json()["items"][0]
        for shown in (one, listed):
            assert shown["view"] == "public" and shown["name"] == "代表D3"
            assert shown["contact_phone"] is None and shown["home_location"] is None and shown["home_grid_id"] is None
    for headers in (world.staff, world.as_deputy(str(uuid.uuid4())), keys.headers(Role.agency_officer)):
        shown = (await world.deputy.client.get(path, headers=headers)).json()
        assert shown["view"] == "masked" and shown["contact_phone"] == "139****5678"
        assert shown["home_location"] is None
    for headers in (world.office, world.as_deputy(deputy["id"])):
        shown = (await world.deputy.client.get(path, headers=headers)).json()
        assert shown["view"] == "full" and shown["contact_phone"] == PHONE
        assert shown["home_location"] == {"lat": 27.91, "lon": 112.51}
    office_list = (await world.deputy.client.get("/deputies", headers=world.office)).json()["items"][0]
    assert office_list["contact_phone"] == "139****5678"


async def test_only_the_office_registers_changes_and_retires_deputies(world, keys):
    deputy = await world.register("D4")
    body = {"code": "D5", "name": "某", "level": "city", "district": "第1选区"}
    for headers in ({}, keys.headers(Role.villager), world.staff, world.as_deputy(deputy["id"])):
        expected = 401 if not headers else 403
        attempts = [
            world.deputy.client.post("/deputies", json=body, headers=headers),
            world.deputy.client.patch(f"/deputies/{deputy['id']}", json={"name": "改"}, headers=headers),
            world.deputy.client.post(
                f"/deputies/{deputy['id']}/retire", json={"retired_on": "2026-01-02", "reason": "x"}, headers=headers
            ),
        ]
        for attempt in attempts:
            assert (await attempt).status_code == expected


async def test_registering_twice_with_one_key_registers_once(world):
    body = {"code": "D6", "name": "某", "level": "both", "district": "第1选区"}
    headers = {**world.office, "Idempotency-Key": "deputy-key-0001"}
    first = await world.deputy.client.post("/deputies", json=body, headers=headers)
    again = await world.deputy.client.post("/deputies", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert (await world.deputy.client.get("/deputies")).json()["total"] == 1


# --- the record of duty -----------------------------------------------------------------------------------


async def test_case_events_keep_the_inbox_current_and_fill_the_record_of_duty(world):
    grids = await world.city()
    group = grids["T1V1G1"]["id"]
    first = await world.register("D7", home_grid_id=group)
    second = await world.register("D8", home_grid_id=group)
    both = [first["id"], second["id"]]
    case_id, dispute_id = str(uuid.uuid4()), str(uuid.uuid4())
    await world.publish(
        submitted(case_id, group, both),
        case_step(CaseAccepted, case_id, group, both),
        case_step(CaseResolved, case_id, group, both, from_status="accepted", to_status="resolved"),
        DisputeMediated(
            case_id=dispute_id, grid_id=group, mediator_deputy_ids=both, agreement_reached=False, at=datetime.now(UTC)
        ),
        DisputeMediated(
            case_id=dispute_id, grid_id=group, mediator_deputy_ids=both, agreement_reached=True, at=datetime.now(UTC)
        ),
    )

    async def recorded():
        items = (await world.record(first["id"]))["items"]
        return items if len(items) == 3 and any(item["five_one"] == "dispute" for item in items) else None

    items = await eventually(recorded)
    assert {item["kind"] for item in items} == {"case_accepted", "case_resolved", "dispute_mediated"}
    assert all(item["source"] == "event" and item["grid_id"] == group for item in items)
    assert next(item for item in items if item["kind"] == "dispute_mediated")["roles"] == ["mediator"]
    assert len((await world.record(second["id"]))["items"]) == 1  # only the mediation: D7 acted on the case
    inbox = (await world.deputy.client.get("/inbox", headers=world.as_deputy(first["id"]))).json()["items"]
    assert [(item["case_id"], item["status"]) for item in inbox] == [(case_id, "resolved")]
    assert inbox[0]["category"] == inbox[0]["summary"] == "water"  # the event has no words of the villager
    assert (
        await world.deputy.client.get("/inbox", params={"open_only": True}, headers=world.as_deputy(first["id"]))
    ).json()["total"] == 0

    ones = await world.deputy.client.get(
        f"/deputies/{first['id']}/five-ones", params={"year": YEAR}, headers=world.as_deputy(first["id"])
    )
    done = {item["item"]: item["done"] for item in ones.json()["items"]}
    assert done == {"suggestion": False, "inspection": False, "dispute": True, "household": False, "livelihood": True}


async def test_a_case_routed_away_leaves_the_inbox_of_the_deputy_it_left(world):
    grids = await world.city()
    group = grids["T1V1G1"]["id"]
    first, second = await world.register("D9"), await world.register("D10")
    case_id = str(uuid.uuid4())
    await world.publish(
        submitted(case_id, group, [first["id"]]),
        case_step(CaseAccepted, case_id, group, [second["id"]], actor_deputy_id=None, to_status="assigned"),
    )

    async def moved():
        async with world.deputy.runtime.maker() as session:
            rows = (await session.execute(select(InboxCase).where(InboxCase.case_id == case_id))).scalars().all()
            return [row.deputy_id for row in rows] == [second["id"]]

    await eventually(moved)


async def test_a_deputy_logs_a_field_visit_and_the_public_sees_no_private_details(world, keys):
    grids = await world.city()
    deputy = await world.register("D11", home_grid_id=grids["T1V1G2"]["id"])
    me = world.as_deputy(deputy["id"])
    received: list[str] = []
    connection = await nats.connect(world.nats_url)

    async def collect(message) -> None:  # type: ignore[no-untyped-def]
        received.append(message.subject)

    await connection.subscribe("deputy.visit.>", cb=collect)
    visit = {
        "kind": "field_visit",
        "occurred_at": "2026-03-09T09:30:00+08:00",
        "summary": "走访韶阳村第2组，了解水费情况",
        "notes": "王某某反映水费上涨",
        "place": "韶阳村第2组王家屋场",
        "location": {"lat": 27.9, "lon": 112.51},
        "roles": ["informant", "servant"],
        "photos": ["https://files.example/p/1.jpg"],
    }
    headers = {**me, "Idempotency-Key": "visit-key-0001"}
    made = await world.deputy.client.post(f"/deputies/{deputy['id']}/record", json=visit, headers=headers)
    again = await world.deputy.client.post(f"/deputies/{deputy['id']}/record", json=visit, headers=headers)
    assert made.status_code == again.status_code == 201 and made.json()["id"] == again.json()["id"]
    assert made.json()["grid_id"] == grids["T1V1G2"]["id"]  # defaults to the home grid
    for headers in ({}, keys.headers(Role.villager)):
        public = (await world.record(deputy["id"], headers=headers))["items"]
        assert len(public) == 1 and public[0]["summary"] == visit["summary"]
        assert public[0]["notes"] is None and public[0]["location"] is None and public[0]["photos"] is None
    private = (await world.record(deputy["id"], headers=me, role="servant"))["items"][0]
    assert private["notes"] == visit["notes"] and private["location"] == {"lat": 27.9, "lon": 112.51}
    other = await world.deputy.client.post(
        f"/deputies/{deputy['id']}/record", json=visit, headers=world.as_deputy(str(uuid.uuid4()))
    )
    assert other.status_code == 403

    async def published() -> bool:
        return received == ["deputy.visit.logged.v1"]

    await eventually(published)
    await connection.close()
    future = {**visit, "occurred_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    assert (
        await world.deputy.client.post(f"/deputies/{deputy['id']}/record", json=future, headers=me)
    ).status_code == 422


async def test_household_support_and_five_ones_with_the_list_of_deputies_behind(world):
    grids = await world.city()
    keen = await world.register("D12", home_grid_id=grids["T1V1G1"]["id"])
    idle = await world.register("D13", home_grid_id=grids["T2V1G1"]["id"])
    me = world.as_deputy(keen["id"])
    pair = await world.post(
        world.deputy,
        f"/deputies/{keen['id']}/support-pairs",
        {"household": "王某某户", "need": "独居老人", "starts_on": f"{YEAR}-01-02"},
        me,
    )
    staff_view = (await world.deputy.client.get(f"/deputies/{keen['id']}/support-pairs", headers=world.staff)).json()
    assert staff_view["items"][0]["household"] == "王***"
    at = f"{YEAR}-01-05T10:00:00+08:00"
    await world.post(
        world.deputy, f"/support-pairs/{pair['id']}/visits", {"occurred_at": at, "summary": "送米送油"}, me
    )
    for kind in ("research", "livelihood_matter"):
        await world.post(
            world.deputy, f"/deputies/{keen['id']}/record", {"kind": kind, "occurred_at": at, "summary": kind}, me
        )
    await world.accepted_suggestion(me)  # the year's good suggestion: one the office accepted
    dispute = str(uuid.uuid4())
    await world.publish(
        DisputeMediated(
            case_id=dispute,
            grid_id=grids["T1V1G1"]["id"],
            mediator_deputy_ids=[keen["id"]],
            agreement_reached=True,
            at=datetime(YEAR, 1, 6, tzinfo=UTC),
        )
    )

    async def all_five():
        answer = await world.deputy.client.get(f"/deputies/{keen['id']}/five-ones", params={"year": YEAR}, headers=me)
        return answer.json() if answer.json()["done"] == 5 else None

    ones = await eventually(all_five)
    household = next(item for item in ones["items"] if item["item"] == "household")
    assert household["evidence"][0]["kind"] == "household_visit" and household["evidence"][0]["pair_id"] == pair["id"]
    behind = (await world.deputy.client.get("/five-ones/behind", params={"year": YEAR}, headers=world.staff)).json()
    assert [(item["code"], item["done"]) for item in behind["items"]] == [("D13", 0)]
    assert behind["items"][0]["missing"] == ["suggestion", "inspection", "dispute", "household", "livelihood"]
    in_t2 = {"year": YEAR, "township_id": grids["T2"]["id"]}
    assert (await world.deputy.client.get("/five-ones/behind", params=in_t2, headers=world.office)).json()["total"] == 1
    villager = world.keys.headers(Role.villager)
    assert (
        await world.deputy.client.get("/five-ones/behind", params={"year": YEAR}, headers=villager)
    ).status_code == 403
    assert (
        await world.deputy.client.get(f"/deputies/{idle['id']}/five-ones", params={"year": YEAR}, headers=me)
    ).status_code == 403


# --- statistics -------------------------------------------------------------------------------------------


async def test_statistics_count_facts_once_at_city_township_and_village_level(world):
    grids = await world.city()
    g1, g2, g3 = grids["T1V1G1"]["id"], grids["T1V1G2"]["id"], grids["T2V1G1"]["id"]
    a = await world.register("D20", home_grid_id=g1)
    b = await world.register("D21", home_grid_id=g3)
    ids = [a["id"], b["id"]]
    day = datetime(2026, 3, 10, 2, tzinfo=UTC)
    dispute, resolved = str(uuid.uuid4()), str(uuid.uuid4())
    await world.publish(
        DisputeMediated(case_id=dispute, grid_id=g1, mediator_deputy_ids=ids, agreement_reached=True, at=day),
        case_step(CaseResolved, resolved, g3, ids, actor_deputy_id=None, to_status="resolved", at=day),
    )
    me_a, me_b = world.as_deputy(a["id"]), world.as_deputy(b["id"])
    world.deputy.runtime.clock = MovableClock(day)
    await world.accepted_suggestion(me_a, grid_ids=[g2], cosigner_ids=[b["id"]])  # one, though two signed it
    entries = [
        (me_a, a, {"kind": "suggestion", "grid_id": g2}),  # an entry of kind suggestion is not one made
        (me_a, a, {"kind": "reception", "visitors": 12}),
        (me_b, b, {"kind": "reception", "visitors": 8}),
        (me_b, b, {"kind": "livelihood_matter"}),
    ]
    for headers, deputy, body in entries:
        full = {"occurred_at": "2026-03-10T10:00:00+08:00", "summary": body["kind"], **body}
        await world.post(world.deputy, f"/deputies/{deputy['id']}/record", full, headers)
    await world.post(
        world.deputy,
        f"/deputies/{a['id']}/support-pairs",
        {"household": "李某户", "need": "因病", "starts_on": "2026-01-01"},
        me_a,
    )

    async def facts_arrived():
        return len((await world.record(b["id"]))["items"]) == 5

    await eventually(facts_arrived)
    march = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    city = (await world.deputy.client.get("/statistics", params=march)).json()
    assert city["level"] == "city"
    expected_city = {
        "suggestions": 1,
        "disputes_mediated": 1,
        "households_supported": 1,
        "livelihood_matters": 1,
        "visitors_received": 20,
        "issues_resolved": 1,
    }
    assert {key: city["total"][key] for key in expected_city} == expected_city
    by_township = {row["grid_name"]: row for row in city["rows"]}
    assert by_township["韶山乡"]["visitors_received"] == 12 and by_township["银田镇"]["issues_resolved"] == 1
    township = (await world.deputy.client.get("/statistics", params={**march, "grid_id": grids["T1"]["id"]})).json()
    assert township["level"] == "township" and township["total"]["grid_name"] == "韶山乡"
    assert [row["grid_name"] for row in township["rows"]] == ["韶阳村"]
    village = (await world.deputy.client.get("/statistics", params={**march, "grid_id": grids["T1V1"]["id"]})).json()
    assert {row["grid_name"]: row["suggestions"] for row in village["rows"]}["韶阳村第2组"] == 1
    april = (
        await world.deputy.client.get("/statistics", params={"date_from": "2026-04-01", "date_to": "2026-04-30"})
    ).json()
    assert april["total"]["disputes_mediated"] == 0 and april["total"]["households_supported"] == 1
    backwards = await world.deputy.client.get(
        "/statistics", params={"date_from": "2026-04-01", "date_to": "2026-03-01"}
    )
    assert backwards.status_code == 422
    group_level = await world.deputy.client.get("/statistics", params={**march, "grid_id": g1})
    assert group_level.status_code == 422


async def test_station_and_funding_events_fill_the_record_and_the_figures(world):
    from shared.messaging.catalogue import ProjectCompleted, ProjectSubmitted, SessionHeld, StationIssueRaised

    grids = await world.city()
    group = grids["T2V1G1"]["id"]
    deputy = await world.register("D30", home_grid_id=group)
    at = datetime(2026, 5, 9, 1, tzinfo=UTC)
    session_id, case_id, project_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    project = {
        "project_id": project_id,
        "pool_id": str(uuid.uuid4()),
        "kind": "goods",
        "title": "老旧小区充电桩",
        "deputy_ids": [deputy["id"]],
        "grid_ids": [group],
        "village_ids": [grids["T2V1"]["id"]],
        "case_ids": [],
        "budget": "9800.00",
        "from_status": None,
        "to_status": "submitted",
        "at": at,
    }
    await world.publish(
        SessionHeld(session_id=session_id, station_id="s1", starts_at=at, deputy_ids=[deputy["id"]], at=at),
        StationIssueRaised(
            record_id=str(uuid.uuid4()),
            case_id=case_id,
            station_id="s1",
            session_id=session_id,
            grid_id=group,
            kind="suggestion",
            category="roads",
            route="suggestion",
            summary="建议修缮村道",
            deputy_ids=[deputy["id"]],
            raised_at=at,
        ),
        ProjectSubmitted(**project),
        ProjectCompleted(**{**project, "from_status": "started", "to_status": "completed"}),
    )

    async def recorded():
        items = (await world.record(deputy["id"]))["items"]
        return items if len(items) == 5 else None

    kinds = {item["kind"] for item in await eventually(recorded)}
    assert kinds == {"reception_held", "visitor_received", "suggestion", "project_proposed", "project_completed"}
    may = (
        await world.deputy.client.get("/statistics", params={"date_from": "2026-05-01", "date_to": "2026-05-31"})
    ).json()
    figures = {key: may["total"][key] for key in ("suggestions", "visitors_received", "livelihood_matters")}
    # a visitor's issue routed as a suggestion is one to make: only a suggestion the office accepted counts
    assert figures == {"suggestions": 0, "visitors_received": 1, "livelihood_matters": 1}


# --- the grid tree, projected ---------------------------------------------------------------------------


def _grid_changed(grid_id: str, code: str, level: str, parent_id: str | None, version: int) -> GridChanged:
    return GridChanged(
        grid_id=grid_id,
        code=code,
        name=code,
        level=level,
        kind=level,
        parent_id=parent_id,
        district=None,
        population=None,
        households=None,
        centre_lat=None,
        centre_lon=None,
        has_boundary=False,
        changed=["parent_id"],
        version=version,
        at=datetime.now(UTC),
    )


async def test_the_projected_tree_places_grids_in_any_order_and_a_move_carries_the_children(
    nats_server, databases, keys
):
    t1, t2, village, group = (str(uuid.uuid4()) for _ in range(4))
    async with AsyncExitStack() as stack:
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        consumer = next(c for c in deputy.runtime.consumers if GridCreated.event_type in c.handlers)

        async def apply(*payloads: EventPayload) -> None:
            for payload in payloads:
                await consumer.apply_once(envelope("/grid", payload))

        async def places() -> dict[str, tuple[str | None, str | None, str, int]]:
            async with deputy.runtime.maker() as session:
                rows = (await session.execute(select(KnownGrid))).scalars().all()
                return {row.id: (row.township_id, row.village_id, row.status, row.version) for row in rows}

        await apply(  # children before their parents
            GridCreated(grid_id=group, code="G", name="第1组", level="group", parent_id=village),
            GridCreated(grid_id=village, code="V", name="韶阳村", level="village", parent_id=t1),
            GridCreated(grid_id=t1, code="T1", name="韶山乡", level="township", parent_id=None),
            GridCreated(grid_id=t2, code="T2", name="银田镇", level="township", parent_id=None),
        )
        placed = await places()
        assert placed[group] == (t1, village, "active", 1) and placed[village] == (t1, village, "active", 1)

        await apply(_grid_changed(village, "V", "village", t2, 3), _grid_changed(village, "V", "village", t1, 2))
        placed = await places()  # the move (version 3) carries the group; the late version 2 changes nothing
        assert placed[village] == (t2, village, "active", 3) and placed[group] == (t2, village, "active", 1)

        await apply(GridCreated(grid_id=village, code="V", name="韶阳村", level="village", parent_id=t1))
        await apply(
            GridRetired(
                grid_id=group,
                code="G",
                level="group",
                parent_id=village,
                retired_on=date.today(),
                reason="x",
                version=2,
            )
        )
        placed = await places()
        assert placed[village] == (t2, village, "active", 3) and placed[group] == (t2, village, "retired", 2)
