"""What each service writes to its audit log, read back by the NPC office through `GET /audit`: officials'
actions with who (account, name, roles, deputy, organisation), what, on what, from where and the request id;
reads of personal data (a case's full contact, a deputy's full phone, the households of support pairs); nothing
for a villager's own actions or for a read that was refused; never the personal data itself. And the case
timeline names the official account that acted, to officials only."""

import json
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest

from shared.auth import Principal, Role, issue_token
from tests.integration.city import build_town
from tests.integration.test_deputy_service import World
from tests.integration.test_funding_support import create_draft, create_pool, start_funding, step, to_notice
from tests.integration.test_station_support import build_world, session_body
from tests.support import ISSUER, Keys, start_service

PHONE, NAME = "13812345678", "王秀英"


def signed(keys: Keys, *roles: Role, subject: str, name: str = "", **claims: str | None) -> dict[str, str]:
    principal = Principal(subject=subject, roles=frozenset(roles), name=name, **claims)  # type: ignore[arg-type]
    token = issue_token(keys.private.read_bytes(), principal, issuer=ISSUER, lifetime=timedelta(minutes=15))
    return {"Authorization": f"Bearer {token}"}


def at(headers: dict[str, str], address: str, request_id: str) -> dict[str, str]:
    """As the gateway forwards it: the client's address and the request id."""
    return {**headers, "X-Forwarded-For": address, "X-Request-ID": request_id}


async def audit_log(client, office: dict[str, str], **params: str) -> list[dict]:  # type: ignore[no-untyped-def]
    answer = await client.get("/audit", params={"limit": 200, **params}, headers=office)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def one(entries: list[dict], action: str, target_id: str | None = None) -> dict:
    found = [e for e in entries if e["action"] == action and (target_id is None or e["target_id"] == target_id)]
    assert len(found) == 1, (action, target_id, [e["action"] for e in entries])
    return found[0]


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def test_case_officials_actions_and_contact_reads_are_in_the_log_and_villagers_own_are_not(town):
    keys, client = town.keys, town.client
    office = signed(keys, Role.npc_office, subject="office-7", name="李主任")
    deputy = signed(keys, Role.deputy, subject="deputy-7", name="毛代表", deputy_id=town.deputy_id)
    officer = signed(keys, Role.agency_officer, subject="officer-7", organisation="water-bureau")
    words = f"我是{NAME}，电话{PHONE}，水管爆了"
    case = await town.file(town.villager("villager-1"), description=words, contact_phone=PHONE, contact_name=NAME)
    duplicate = await town.file(town.villager("villager-2"))
    returned, rejected = await town.file(town.villager("villager-3")), await town.file(town.villager("villager-4"))
    assert (await client.post(f"/cases/{case['id']}/support", headers=town.villager("villager-5"))).status_code == 201

    await town.act(case["id"], "accept", at(deputy, "203.0.113.5", "req-accept"))
    noted = await client.post(f"/cases/{case['id']}/notes", json={"note": f"已联系{PHONE}"}, headers=deputy)
    assert noted.status_code == 201
    contact = await client.get(f"/cases/{case['id']}/contact", headers=at(deputy, "203.0.113.6", "req-contact"))
    assert contact.status_code == 200 and contact.json()["phone"] == PHONE
    stranger = await client.get(f"/cases/{case['id']}/contact", headers=town.deputy(town.other_deputy_id))
    assert stranger.status_code == 403
    await town.act(case["id"], "refer", deputy, {"organisation": "water-bureau", "question": "何时修好？"})
    [referral] = (await client.get(f"/cases/{case['id']}/referrals", headers=office)).json()["items"]
    answered = await client.post(f"/referrals/{referral['id']}/answer", json={"answer": "本周修好"}, headers=officer)
    assert answered.status_code == 200, answered.text
    await town.act(duplicate["id"], "merge", at(office, "203.0.113.9", "req-merge"), {"into_case_id": case["id"]})
    await town.act(returned["id"], "return", deputy, {"reason": "不是本组的事"})
    await town.act(returned["id"], "dispatch", office, {"deputy_ids": [town.other_deputy_id]})
    await town.act(rejected["id"], "reject", office, {"reason": "重复反映"})
    await town.act(case["id"], "escalate", office, {"reason": "督办"})

    entries = await audit_log(client, office)
    assert {entry["actor_id"] for entry in entries} == {"office-7", "deputy-7", "officer-7"}  # no villager
    accepted = one(entries, "case.accept", case["id"])
    assert (accepted["client"], accepted["request_id"], accepted["target_type"]) == (
        "203.0.113.5",
        "req-accept",
        "case",
    )
    assert (accepted["actor_name"], accepted["actor_roles"], accepted["deputy_id"]) == (
        "毛代表",
        ["deputy"],
        town.deputy_id,
    )
    assert accepted["detail"] == {"from_status": "assigned", "to_status": "accepted", "standing": "handler"}
    read = one(entries, "case.contact.read", case["id"])
    assert (read["actor_id"], read["deputy_id"], read["client"], read["request_id"]) == (
        "deputy-7",
        town.deputy_id,
        "203.0.113.6",
        "req-contact",
    )
    assert len([entry for entry in entries if entry["action"] == "case.contact.read"]) == 1  # not the refused one
    assert one(entries, "case.refer", case["id"])["detail"]["organisation"] == "water-bureau"
    answer = one(entries, "case.referral_answered", case["id"])
    assert (answer["actor_id"], answer["organisation"]) == ("officer-7", "water-bureau")
    merged = one(entries, "case.merge", duplicate["id"])
    assert (merged["detail"]["into_case_id"], merged["client"], merged["request_id"]) == (
        case["id"],
        "203.0.113.9",
        "req-merge",
    )
    assert one(entries, "case.merge_in", case["id"])["actor_id"] == "office-7"
    assert one(entries, "case.return", returned["id"])["actor_id"] == "deputy-7"
    assert one(entries, "case.dispatch", returned["id"])["detail"]["deputy_ids"] == [town.other_deputy_id]
    assert one(entries, "case.reject", rejected["id"])["actor_roles"] == ["npc_office"]
    assert one(entries, "case.escalate", case["id"])["detail"]["to_status"] == "escalated"
    assert one(entries, "case.note", case["id"])["actor_id"] == "deputy-7"
    logged = json.dumps(entries, ensure_ascii=False)
    for secret in (PHONE, NAME, "水管爆了", "已联系", "本周修好", "重复反映", "何时修好"):
        assert secret not in logged, secret
    assert [e["action"] for e in await audit_log(client, office, target_id=case["id"], action="case.contact")] == [
        "case.contact.read"
    ]


async def test_the_timeline_names_the_official_account_to_officials_only(town):
    keys, client = town.keys, town.client
    office = signed(keys, Role.npc_office, subject="office-7", name="李主任")
    deputy = signed(keys, Role.deputy, subject="deputy-7", name="毛代表", deputy_id=town.deputy_id)
    villager = town.villager("villager-1")
    case = await town.file(villager)
    await town.act(case["id"], "accept", deputy)
    await town.act(case["id"], "escalate", office, {"reason": "督办"})

    def accounts(view: dict) -> list[tuple[str, str | None, str | None]]:
        return [(step["action"], step["actor_account"], step["actor_name"]) for step in view["timeline"]]

    official = [("submit", None, None), ("route", None, None), ("accept", "deputy-7", "毛代表")]
    official.append(("escalate", "office-7", "李主任"))
    for reader in (office, deputy, town.staff()):
        seen = await client.get(f"/cases/{case['id']}", headers=reader)
        assert accounts(seen.json()) == official
    listed = (await client.get("/cases", headers=office)).json()["items"]
    assert accounts(next(item for item in listed if item["id"] == case["id"])) == official
    blank = [(action, None, None) for action, _, _ in official]
    assert accounts((await client.get(f"/cases/{case['id']}", headers=villager)).json()) == blank
    assert accounts((await client.get(f"/cases/track/{case['tracking_code']}")).json()) == blank
    mine = (await client.get(f"/cases/{case['id']}", headers=villager)).json()["timeline"]
    assert [item["actor_role"] for item in mine] == ["villager", "system", "deputy", "office"]  # the role, as before


async def test_deputy_changes_and_reads_of_phones_and_households_are_in_the_log(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        deputies = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        world = World(grid, deputies, keys, nats_server.url)
        grids = await world.city()
        deputy = await world.register("D42", home_grid_id=grids["T1V1G1"]["id"])
        me = world.as_deputy(deputy["id"])
        client = deputies.client
        changed = await client.patch(f"/deputies/{deputy['id']}", json={"district": "第0202选区"}, headers=world.office)
        assert changed.status_code == 200, changed.text
        household = {"household": "李某某户", "need": "残疾", "starts_on": "2026-01-02"}
        pair = await world.post(world.deputy, f"/deputies/{deputy['id']}/support-pairs", household, me)

        full = await client.get(f"/deputies/{deputy['id']}", headers=at(world.office, "203.0.113.30", "req-phone"))
        assert full.json()["view"] == "full" and full.json()["contact_phone"] == "13912345678"
        assert (await client.get(f"/deputies/{deputy['id']}", headers=me)).json()["view"] == "full"  # their own
        assert (await client.get(f"/deputies/{deputy['id']}", headers=world.staff)).json()["view"] == "masked"
        pairs_path = f"/deputies/{deputy['id']}/support-pairs"
        assert (await client.get(pairs_path, headers=world.office)).json()["items"][0]["household"] == "李某某户"
        assert (await client.get(pairs_path, headers=world.staff)).json()["items"][0]["household"] != "李某某户"

        entries = await audit_log(client, world.office)
        registered = one(entries, "deputy.register", deputy["id"])
        assert (registered["actor_id"], registered["detail"]) == ("office-1", {"code": "D42"})
        assert one(entries, "deputy.update", deputy["id"])["detail"]["fields"] == ["district"]
        added = one(entries, "deputy.support_pair.add", pair["id"])
        assert (added["actor_id"], added["deputy_id"]) == (f"deputy-{deputy['id'][:8]}", deputy["id"])
        phone = one(entries, "deputy.contact.read", deputy["id"])
        assert (phone["actor_id"], phone["client"], phone["request_id"]) == ("office-1", "203.0.113.30", "req-phone")
        households = one(entries, "deputy.support_pair.read", deputy["id"])
        assert (households["actor_id"], households["detail"]) == ("office-1", {"pair_ids": [pair["id"]]})
        logged = json.dumps(entries, ensure_ascii=False)
        assert "13912345678" not in logged and "李某某户" not in logged and "第0202选区" not in logged

        placed = await audit_log(grid.client, world.office, action="grid.")
        assert len([entry for entry in placed if entry["action"] == "grid.create"]) == 7
        assignment = {"grid_id": grids["T1V1G1"]["id"], "deputy_id": deputy["id"], "starts_on": "2026-01-01"}
        started = await world.post(grid, "/assignments", assignment)
        ended = await grid.client.post(
            f"/assignments/{started['id']}/end", json={"ends_on": "2026-02-01", "reason": "换届"}, headers=world.office
        )
        assert ended.status_code == 200, ended.text
        retire = {"retired_on": "2026-02-01", "reason": "合并"}
        retired = await grid.client.post(f"/grids/{grids['T2V1G1']['id']}/retire", json=retire, headers=world.office)
        assert retired.status_code == 200, retired.text
        steps = await audit_log(grid.client, world.office, target_id=started["id"])
        assert [entry["action"] for entry in steps] == ["grid.assignment.end", "grid.assignment.start"]
        assert steps[1]["detail"] == {"grid_id": grids["T1V1G1"]["id"], "deputy_id": deputy["id"], "role": "member"}
        assert one(await audit_log(grid.client, world.office), "grid.retire", grids["T2V1G1"]["id"])


async def test_station_officials_actions_are_in_the_log_and_bookings_of_villagers_are_not(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        world = await build_world(stack, nats_server, databases, keys)
        office = keys.headers(Role.npc_office, subject="office-1")
        staff = at(keys.headers(Role.station_staff, subject="staff-9"), "203.0.113.40", "req-session")
        held = await world.created("/sessions", session_body(world), staff)
        cancelled = await world.created(
            "/sessions", session_body(world, starts_at="2026-03-10T09:00:00+08:00", ends_at="2026-03-10T11:00:00+08:00")
        )
        booked = await world.created(f"/sessions/{held['id']}/bookings", {"topic": "水费"}, world.villager("a"))
        await world.client.post(f"/bookings/{booked['id']}/cancel", headers=world.villager("a"))
        walk_in = {"topic": "低保", "visitor_name": "毛秀英", "visitor_phone": "13812345678"}
        visitor = await world.created(f"/sessions/{held['id']}/walk-ins", walk_in)
        stop = await world.client.post(f"/sessions/{cancelled['id']}/cancel", json={"reason": "暴雨"}, headers=office)
        assert stop.status_code == 200, stop.text
        world.clock.advance(timedelta(days=7, hours=2))
        assert (await world.client.post(f"/sessions/{held['id']}/held", headers=world.staff)).status_code == 200

        entries = await audit_log(world.client, office)
        assert not [entry for entry in entries if entry["actor_id"].startswith("villager-")]
        scheduled = one(entries, "station.session.schedule", held["id"])
        assert (scheduled["actor_id"], scheduled["client"], scheduled["request_id"]) == (
            "staff-9",
            "203.0.113.40",
            "req-session",
        )
        assert one(entries, "station.walk_in.add", visitor["id"])["detail"] == {"session_id": held["id"]}
        assert one(entries, "station.session.cancel", cancelled["id"])["actor_id"] == "office-1"
        assert one(entries, "station.session.held", held["id"])
        assert one(entries, "station.station.create", world.station_id)
        assert "毛秀英" not in json.dumps(entries, ensure_ascii=False)


async def test_every_funding_step_and_money_movement_is_in_the_log(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        f = await start_funding(stack, nats_server, databases, keys)
        pool = await create_pool(f)
        project = await create_draft(f, pool["id"])
        pid = project["id"]
        await to_notice(f, pid)
        objection = await step(f, pid, "objections", {"text": "选址太近"}, f.headers(Role.villager), expect=201)
        await step(f, pid, f"objections/{objection['id']}/ruling", {"upheld": False, "note": "已核实"}, f.office)
        f.clock.advance(timedelta(days=8))
        await step(f, pid, "approval", {"note": "批准"}, at(f.office, "203.0.113.50", "req-approve"))
        pay = {"amount": "8000.00", "purpose": "首付款"}
        paid = await step(f, pid, "disbursements", pay, at(f.finance, "203.0.113.51", "req-pay"), expect=201)

        entries = await audit_log(f.client, f.office)
        assert one(entries, "funding.pool.create", pool["id"])["actor_id"] == "finance"
        for action, actor in (
            ("funding.project.draft", "deputy-account"),
            ("funding.project.submit", "deputy-account"),
            ("funding.project.screen", "staff"),
            ("funding.project.deliberate", "office"),
            ("funding.project.notice", "office"),
        ):
            assert one(entries, action, pid)["actor_id"] == actor, action
        approved = one(entries, "funding.project.approve", pid)
        assert (approved["client"], approved["request_id"], approved["detail"]["to_status"]) == (
            "203.0.113.50",
            "req-approve",
            "funded",
        )
        disbursed = one(entries, "funding.ledger.disburse", pid)
        assert disbursed["detail"] == {"entry_id": paid["id"], "pool_id": pool["id"], "amount": "8000.00"}
        assert (disbursed["actor_roles"], disbursed["client"]) == (["finance"], "203.0.113.51")
        ruling = one(entries, "funding.objection.rule", objection["id"])
        assert ruling["detail"] == {"project_id": pid, "upheld": False}
        assert not [entry for entry in entries if "villager" in entry["actor_roles"]]  # the objection itself
        assert "选址太近" not in json.dumps(entries, ensure_ascii=False)
