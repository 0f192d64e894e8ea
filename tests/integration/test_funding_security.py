"""Micro-projects from the stranger's and the insider's side: the proposer checks, funds and judges nothing of
their own project; objections need a villager's sign-in and cannot be flooded, and the office rules on many at
once; a deputy cites only cases routed to them; officials who need not see cited cases or objections do not; the
public page shows no case, code, account or phone number."""

import json
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.micro_funding.models import Objection
from services.micro_funding.policy import ObjectionLimits
from shared.auth import Role
from shared.messaging.catalogue import CaseAccepted
from tests.integration.test_funding_support import (
    create_draft,
    create_pool,
    draft_body,
    feed,
    many_in_notice,
    new_id,
    start_funding,
    step,
    to_notice,
)

PHONE = "13912345678"
CODE = "SS-2612-49897"


@pytest.fixture
async def funding(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await start_funding(stack, nats_server, databases, keys)


async def object_to(f, project_id: str, headers: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    answer = await f.client.post(f"/projects/{project_id}/objections", json={"text": "反对"}, headers=headers)
    return answer.status_code


def refused_as_proposer(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 403, answer.text
    assert "不相容岗位分离" in answer.json()["detail"] and "本账号" in answer.json()["detail"]


# ---------------------------------------------------------------- separation of duties


async def test_the_proposer_never_screens_deliberates_approves_pays_accepts_or_rules_on_their_project(funding):
    f = funding
    pool = await create_pool(f)
    pid = (await create_draft(f, pool["id"]))["id"]
    officials = (Role.station_staff, Role.npc_office, Role.finance)
    insiders = [
        # the very account that drafted it, given every office role besides
        f.headers(Role.deputy, *officials, subject="deputy-account", deputy_id=f.deputy_id),
        # another account acting for the same deputy
        f.headers(*officials, subject="deputy-office-account", deputy_id=f.deputy_id),
        # the drafting account with its deputy link gone
        f.headers(*officials, Role.villager, subject="deputy-account"),
    ]

    async def refused_to_all(path: str, body: dict) -> None:
        for headers in insiders:
            refused_as_proposer(await f.client.post(f"/projects/{pid}/{path}", json=body, headers=headers))

    await step(f, pid, "submission", None, f.deputy)
    await refused_to_all("screening", {"decision": "pass"})
    await refused_to_all("screening", {"decision": "reject", "note": "自己否决"})
    await step(f, pid, "screening", {"decision": "pass"}, f.staff)
    await refused_to_all("deliberation", {"review": "通过", "votes_for": 5, "votes_against": 0})
    await step(f, pid, "deliberation", {"review": "通过", "votes_for": 5, "votes_against": 0}, f.office)
    await refused_to_all("notice", {"days": 1})
    await step(f, pid, "notice", {"days": 1}, f.office)
    objection = await step(f, pid, "objections", {"text": "不同意"}, f.headers(Role.villager), expect=201)
    await refused_to_all(f"objections/{objection['id']}/ruling", {"upheld": False, "note": "驳回"})
    bulk = {"objection_ids": [objection["id"]], "upheld": False, "note": "驳回"}
    await refused_to_all("objection-rulings", bulk)
    await step(f, pid, "objection-rulings", bulk, f.office)
    f.clock.advance(timedelta(days=1))
    await refused_to_all("approval", {"note": "批准"})
    await step(f, pid, "approval", {"note": "批准"}, f.office)
    await refused_to_all("disbursements", {"amount": "100.00", "purpose": "付款"})
    await step(f, pid, "disbursements", {"amount": "100.00", "purpose": "付款"}, f.finance, expect=201)
    # the proposer still reports the progress of their own project
    await step(f, pid, "progress", {"month": "2026-04", "percent": 100, "note": "完工"}, insiders[0], expect=201)
    await refused_to_all("acceptance", {"report": "验收合格"})
    await step(f, pid, "acceptance", {"report": "验收合格"}, f.staff)
    refused_as_proposer(
        await f.client.post(f"/projects/{pid}/ratings", json={"score": 5}, headers=insiders[2]),
    )
    await step(f, pid, "ratings", {"score": 4}, f.headers(Role.villager), expect=201)
    await refused_to_all("publication", {"note": "公布"})
    await refused_to_all("releases", {})
    await step(f, pid, "releases", {}, f.finance, expect=201)
    assert (await step(f, pid, "publication", {"note": "公布"}, f.office))["status"] == "published"
    steps = (await f.client.get(f"/projects/{pid}/steps", headers=f.office)).json()["items"]
    assert [item["role"] for item in steps[1:]] == [
        "deputy",
        "station_staff",
        "npc_office",
        "npc_office",
        "npc_office",
        "deputy",
        "station_staff",
        "villager",
        "npc_office",
    ]


# ---------------------------------------------------------------- objections


async def test_objections_are_made_under_a_real_name_and_one_account_cannot_flood_a_notice(funding):
    f = funding
    pool = await create_pool(f)
    pid = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, pid, days=7)
    body = {"text": "选址不合理"}
    flood = [await f.client.post(f"/projects/{pid}/objections", json=body) for _ in range(30)]
    assert {answer.status_code for answer in flood} == {401}
    for role in (Role.deputy, Role.station_staff, Role.npc_office, Role.finance, Role.agency_officer):
        answer = await f.client.post(f"/projects/{pid}/objections", json=body, headers=f.headers(role))
        assert answer.status_code == 403 and "实名" in answer.json()["detail"], answer.text
    villager = f.headers(Role.villager, subject="villager-13900000001")
    answers = [await f.client.post(f"/projects/{pid}/objections", json=body, headers=villager) for _ in range(30)]
    assert [answer.status_code for answer in answers] == [201] + [409] * 29
    assert "等待处理" in answers[1].json()["detail"]
    async with f.service.runtime.maker() as session:
        rows = (await session.execute(select(Objection).where(Objection.project_id == pid))).scalars().all()
    assert [(row.objector, row.status) for row in rows] == [("villager-13900000001", "pending")]
    # ruled on, the same villager may object again
    first = answers[0].json()["id"]
    await step(f, pid, f"objections/{first}/ruling", {"upheld": False, "note": "已答复"}, f.office)
    assert (await f.client.post(f"/projects/{pid}/objections", json=body, headers=villager)).status_code == 201


async def test_objections_are_limited_per_account_per_day_and_per_address_per_hour(funding):
    f = funding
    f.service.app.state.objection_limits = ObjectionLimits(
        objections_per_account_per_day=3, objections_per_address_per_hour=4
    )
    pool = await create_pool(f, total="1000000.00")
    projects = await many_in_notice(f, pool["id"], 6, "1000.00")
    villager = {**f.headers(Role.villager, subject="villager-a"), "X-Forwarded-For": "198.51.100.1"}
    for pid in projects[:3]:
        assert (
            await f.client.post(f"/projects/{pid}/objections", json={"text": "反对"}, headers=villager)
        ).status_code == 201
    f.clock.advance(timedelta(hours=2))
    over = await f.client.post(f"/projects/{projects[3]}/objections", json={"text": "反对"}, headers=villager)
    assert over.status_code == 429 and over.headers["content-type"] == "application/problem+json"
    assert int(over.headers["Retry-After"]) == 22 * 3600
    f.clock.advance(timedelta(hours=22))
    assert (
        await f.client.post(f"/projects/{projects[3]}/objections", json={"text": "反对"}, headers=villager)
    ).status_code == 201

    # many accounts from one address (one attacker with many numbers): a few dozen an hour, then 429
    shared_address = "203.0.113.9"
    made = []
    for n in range(6):
        headers = {**f.headers(Role.villager, subject=f"sim-{n}"), "X-Forwarded-For": shared_address}
        made.append(await f.client.post(f"/projects/{projects[4]}/objections", json={"text": "反对"}, headers=headers))
    assert [answer.status_code for answer in made] == [201] * 4 + [429] * 2
    assert 0 < int(made[-1].headers["Retry-After"]) <= 3600
    elsewhere = {**f.headers(Role.villager, subject="sim-9"), "X-Forwarded-For": "203.0.113.10"}
    assert (
        await f.client.post(f"/projects/{projects[4]}/objections", json={"text": "反对"}, headers=elsewhere)
    ).status_code == 201


async def test_the_office_rules_on_many_objections_at_once_idempotently_and_each_ruling_is_kept(funding):
    f = funding
    pool = await create_pool(f)
    pid = (await create_draft(f, pool["id"]))["id"]
    other = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, pid, days=7)
    await to_notice(f, other, days=7)
    ids = []
    for n in range(5):
        made = await step(f, pid, "objections", {"text": f"反对 {n}"}, f.headers(Role.villager), expect=201)
        ids.append(made["id"])
    foreign = (await step(f, other, "objections", {"text": "别的"}, f.headers(Role.villager), expect=201))["id"]
    f.clock.advance(timedelta(days=7))
    assert (await f.client.post(f"/projects/{pid}/approval", json={}, headers=f.office)).status_code == 409

    dismiss = {"objection_ids": ids[:4], "upheld": False, "note": "理由不成立"}
    for headers in (f.staff, f.deputy, f.finance, f.headers(Role.villager)):
        assert (
            await f.client.post(f"/projects/{pid}/objection-rulings", json=dismiss, headers=headers)
        ).status_code == 403
    assert (await f.client.post(f"/projects/{pid}/objection-rulings", json=dismiss)).status_code == 401
    # an objection of another project, or one that does not exist: 404 and nothing is ruled
    for wrong in (foreign, new_id()):
        body = {**dismiss, "objection_ids": [*ids[:4], wrong]}
        answer = await f.client.post(f"/projects/{pid}/objection-rulings", json=body, headers=f.office)
        assert answer.status_code == 404, answer.text
    listed = (await f.client.get(f"/projects/{pid}/objections", headers=f.office)).json()["items"]
    assert {item["status"] for item in listed} == {"pending"}

    office = f.headers(Role.npc_office, subject="office-clerk-7")
    keyed = {**office, "Idempotency-Key": "bulk-ruling-0001"}
    ruled = (await f.client.post(f"/projects/{pid}/objection-rulings", json=dismiss, headers=keyed)).json()
    assert ruled["ruled"] == 4 and [item["id"] for item in ruled["items"]] == ids[:4]
    assert {item["status"] for item in ruled["items"]} == {"dismissed"}
    replay = await f.client.post(f"/projects/{pid}/objection-rulings", json=dismiss, headers=keyed)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == ruled
    again = (await f.client.post(f"/projects/{pid}/objection-rulings", json=dismiss, headers=office)).json()
    assert again["ruled"] == 0 and [item["ruled_at"] for item in again["items"]] == [
        item["ruled_at"] for item in ruled["items"]
    ]
    # upholding what was dismissed is a conflict, and nothing is ruled (not even the pending one)
    uphold = {"objection_ids": [ids[4], ids[0]], "upheld": True, "note": "重新选址"}
    assert (await f.client.post(f"/projects/{pid}/objection-rulings", json=uphold, headers=office)).status_code == 409
    async with f.service.runtime.maker() as session:
        rows = {row.id: row for row in (await session.execute(select(Objection))).scalars()}
    assert rows[ids[4]].status == "pending"
    assert all(
        (rows[key].status, rows[key].ruling, rows[key].ruled_by) == ("dismissed", "理由不成立", rows[key].ruled_by)
        and rows[key].ruled_by
        and rows[key].ruled_at is not None
        for key in ids[:4]
    )
    assert {rows[key].ruled_by for key in ids[:4]} == {rows[ids[0]].ruled_by}
    # the last one upheld in bulk: the project goes back to draft once, on the timeline like a single ruling
    upheld = await step(f, pid, "objection-rulings", {**uphold, "objection_ids": [ids[4]]}, office)
    assert upheld["ruled"] == 1 and upheld["items"][0]["status"] == "upheld"
    project = (await f.client.get(f"/projects/{pid}", headers=f.deputy)).json()
    assert (project["status"], project["status_reason"]) == ("draft", "重新选址")
    steps = (await f.client.get(f"/projects/{pid}/steps", headers=f.deputy)).json()["items"]
    assert [item["to_status"] for item in steps].count("draft") == 2 and steps[-1]["note"] == "重新选址"


# ---------------------------------------------------------------- cited cases, readers


async def test_a_deputy_cites_only_cases_routed_to_them_and_a_strangers_case_looks_like_none(funding):
    f = funding
    pool = await create_pool(f)
    stranger_id = new_id()
    stranger = f.headers(Role.deputy, subject="deputy-of-another-township", deputy_id=stranger_id)
    theirs = await f.client.post("/projects", json=draft_body(f, pool["id"]), headers=stranger)
    missing = new_id()
    nothing = await f.client.post("/projects", json=draft_body(f, pool["id"], case_ids=[missing]), headers=stranger)
    assert theirs.status_code == nothing.status_code == 422
    assert theirs.json()["detail"].replace(f.case_id, "ID") == nothing.json()["detail"].replace(missing, "ID")
    mine = await create_draft(f, pool["id"])
    assert mine["case_ids"] == [f.case_id]
    # routed away from the deputy, the case can no longer be cited anew; the draft that cites it keeps it
    moved = CaseAccepted(
        case_id=f.case_id,
        tracking_code=CODE,
        grid_id=f.group_id,
        kind="request",
        category="facilities",
        from_status="assigned",
        to_status="accepted",
        deputy_ids=[stranger_id],
        actor_deputy_id=stranger_id,
        at=f.clock.now() + timedelta(minutes=5),
    )
    await feed(f.service, moved)
    assert (await f.client.post("/projects", json=draft_body(f, pool["id"]), headers=f.deputy)).status_code == 422
    kept = await f.client.put(f"/projects/{mine['id']}", json=draft_body(f, pool["id"], title="改"), headers=f.deputy)
    assert kept.status_code == 200 and kept.json()["case_ids"] == [f.case_id]
    assert (await f.client.post("/projects", json=draft_body(f, pool["id"]), headers=stranger)).status_code == 201


async def test_strangers_read_no_draft_no_cited_case_and_no_objection(funding):
    f = funding
    pool = await create_pool(f)
    draft = (await create_draft(f, pool["id"]))["id"]
    pid = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, pid)
    await step(f, pid, "objections", {"text": f"我是王某，电话 {PHONE}"}, f.headers(Role.villager), expect=201)
    strangers = {
        "another deputy": f.headers(Role.deputy, deputy_id=new_id()),
        "a deputy of another township": f.headers(Role.deputy, deputy_id=new_id(), subject="D0400"),
        "finance": f.finance,
        "an agency officer": f.headers(Role.agency_officer, organisation="water-bureau"),
    }
    for who, headers in strangers.items():
        assert (await f.client.get(f"/projects/{draft}", headers=headers)).status_code == 403, who
        project = await f.client.get(f"/projects/{pid}", headers=headers)
        assert project.status_code == 200 and project.json()["case_ids"] == [], who
        assert f.case_id not in project.text, who
        assert (await f.client.get(f"/projects/{pid}/objections", headers=headers)).status_code == 403, who
    villager = f.headers(Role.villager)
    for path in (f"/projects/{draft}", f"/projects/{pid}", f"/projects/{pid}/objections"):
        assert (await f.client.get(path, headers=villager)).status_code == 403
        assert (await f.client.get(path)).status_code == 401
    for insider in (f.deputy, f.staff, f.office):
        assert (await f.client.get(f"/projects/{pid}", headers=insider)).json()["case_ids"] == [f.case_id]
        objections = await f.client.get(f"/projects/{pid}/objections", headers=insider)
        assert objections.status_code == 200 and objections.json()["total"] == 1
        assert "objector" not in objections.json()["items"][0]


async def test_the_public_page_shows_no_case_code_account_or_phone_number(funding):
    f = funding
    pool = await create_pool(f)
    words = {
        "title": f"充电桩（{CODE}）",
        "description": f"群众反映（{CODE}，联系人 {PHONE}）：在第1组安装充电桩。",
        "beneficiaries": f"第1组 42 户，联系 {PHONE}",
    }
    pid = (await create_draft(f, pool["id"], **words))["id"]
    await to_notice(f, pid, days=1)
    await step(f, pid, "objections", {"text": f"反对，{PHONE}"}, f.headers(Role.villager, subject="v-1"), expect=201)
    f.clock.advance(timedelta(days=1))
    listed = (await f.client.get(f"/projects/{pid}/objections", headers=f.office)).json()["items"]
    await step(f, pid, f"objections/{listed[0]['id']}/ruling", {"upheld": False, "note": "已答复"}, f.office)
    await step(f, pid, "approval", {}, f.office)
    note = {"month": "2026-04", "percent": 50, "note": f"已联系村民 {PHONE}，{CODE} 的问题解决中"}
    await step(f, pid, "progress", note, f.deputy, expect=201)
    answers = [
        await f.client.get(f"/public/villages/{f.village_id}/projects"),
        await f.client.get(f"/public/projects/{pid}"),
        await f.client.get(f"/public/projects/{pid}/progress"),
    ]
    assert all(answer.status_code == 200 for answer in answers)
    shown = json.dumps([answer.json() for answer in answers], ensure_ascii=False)
    for secret in (PHONE, CODE, "49897", f.case_id, f.deputy_id, "deputy-account", "v-1", "反对"):
        assert secret not in shown, secret
    assert "安装充电桩" in shown and "解决中" in shown
