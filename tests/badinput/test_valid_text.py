"""Text that breaks careless code but is valid text — SQL and HTML metacharacters, emoji with joiners,
right-to-left text with direction overrides, format strings — is accepted and comes back exactly as sent:
not escaped, not trimmed inside, not mangled, on every service that stores free text."""

import uuid

import pytest

from shared.auth import Role
from tests.badinput.inputs import METACHARACTERS
from tests.badinput.worlds import World, created

TEXTS = pytest.mark.parametrize("value", METACHARACTERS, ids=[f"text{index}" for index in range(len(METACHARACTERS))])


async def _read(world: World, path: str, headers: dict[str, str] | None = None) -> dict:
    answer = await world.client.get(path, headers=headers or world.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _code() -> str:
    return "X" + uuid.uuid4().hex[:10]


@TEXTS
async def test_grid_names_and_districts(worlds, value):
    world = await worlds.get("grid")
    office = world.keys.headers(Role.npc_office)
    grid = await created(
        world.client, "/grids", {"code": _code(), "name": value, "level": "township", "district": value}, office
    )
    assert (await _read(world, f"/grids/{grid['id']}"))["name"] == value
    renamed = await world.client.patch(
        f"/grids/{grid['id']}", json={"name": value[::-1], "reason": value}, headers=office
    )
    assert renamed.status_code == 200, renamed.text
    stored = await _read(world, f"/grids/{grid['id']}")
    assert (stored["name"], stored["district"]) == (value[::-1], value)


@TEXTS
async def test_deputy_profiles_and_the_record_of_duty(worlds, value):
    world = await worlds.get("deputy")
    office = world.keys.headers(Role.npc_office)
    body = {"code": _code(), "name": value, "level": "township", "district": value, "organisation": value}
    deputy = await created(world.client, "/deputies", body, office)
    profile = await _read(world, f"/deputies/{deputy['id']}", office)
    assert (profile["name"], profile["district"], profile["organisation"]) == (value, value, value)
    own = world.keys.headers(Role.deputy, deputy_id=deputy["id"])
    entry = {"kind": "field_visit", "occurred_at": "2026-01-05T10:00:00+08:00", "summary": value, "notes": value}
    entry = await created(world.client, f"/deputies/{deputy['id']}/record", {**entry, "place": value}, own)
    record = await _read(world, f"/deputies/{deputy['id']}/record", own)
    stored = next(item for item in record["items"] if item["id"] == entry["id"])
    assert (stored["summary"], stored["notes"], stored["place"]) == (value, value, value)
    pair = {"household": value, "need": value, "starts_on": "2026-01-05"}
    await created(world.client, f"/deputies/{deputy['id']}/support-pairs", pair, own)
    pairs = await _read(world, f"/deputies/{deputy['id']}/support-pairs", own)
    assert [(item["household"], item["need"]) for item in pairs["items"]] == [(value, value)]


@TEXTS
async def test_reception_sessions_and_bookings(worlds, value):
    from tests.integration.test_station_support import session_body

    world = await worlds.get("station_scheduling")
    station = world.native
    day = 10 + METACHARACTERS.index(value)  # a weekday each: the same deputies cannot be on duty twice at once
    times = {"starts_at": f"2026-03-{day:02d}T09:00:00+08:00", "ends_at": f"2026-03-{day:02d}T11:00:00+08:00"}
    staff = [{"organisation": value, "role": value}]
    body = session_body(station, **times, topic=value, agency_staff=staff)
    if day in (14, 15):  # a weekend: outside the station's hours, so the session is held elsewhere
        body.update(mode="outside", place=value)
    session = await created(world.client, "/sessions", body, station.staff)
    stored = await _read(world, f"/sessions/{session['id']}")
    assert stored["topic"] == value and [(a["organisation"], a["role"]) for a in stored["agency_staff"]] == [
        (value, value)
    ]
    villager = station.villager(f"text-{day}")
    booking = await created(world.client, f"/sessions/{session['id']}/bookings", {"topic": value}, villager)
    assert (await _read(world, f"/bookings/{booking['id']}", villager))["topic"] == value


@TEXTS
async def test_funding_proposals(worlds, value):
    from tests.integration.test_funding_support import draft_body

    world = await worlds.get("micro_funding")
    funding = world.native
    body = draft_body(funding, world.ids["pool_id"], title=value, description=value, beneficiaries=value)
    body["budget_lines"] = [{"item": value, "amount": "1200.50"}]
    body["milestones"] = [{"title": value, "due_on": "2026-06-30"}]
    project = await created(world.client, "/projects", body, funding.deputy)
    stored = await _read(world, f"/projects/{project['id']}", funding.deputy)
    assert (stored["title"], stored["description"], stored["beneficiaries"]) == (value, value, value)
    assert [(line["item"], line["amount"]) for line in stored["budget_lines"]] == [(value, "1200.50")]
    assert [milestone["title"] for milestone in stored["milestones"]] == [value]


@TEXTS
async def test_case_descriptions(worlds, value):
    world = await worlds.get("case_intake")
    town = world.native
    case = await town.file(town.villager("text-filer"), description=value, contact_name=value[:60])
    assert (await _read(world, f"/cases/{case['id']}", town.villager("text-filer")))["description"] == value
    contact = await _read(world, f"/cases/{case['id']}/contact", town.office())
    assert contact["name"] == value[:60]


@TEXTS
async def test_gateway_accounts_and_api_keys(worlds, value):
    world = await worlds.get("gateway")
    body = {"username": "u" + uuid.uuid4().hex[:10], "password": "a-long-enough-password", "name": value}
    account = await created(world.client, "/api/admin/accounts", {**body, "roles": ["station_staff"]}, world.headers)
    assert (await _read(world, f"/api/admin/accounts/{account['id']}"))["name"] == value
    key = await created(world.client, "/api/admin/api-keys", {"name": value}, world.headers)
    keys = await world.client.get("/api/admin/api-keys", headers=world.headers)
    assert next(item["name"] for item in keys.json() if item["id"] == key["id"]) == value
