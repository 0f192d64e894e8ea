"""A micro-project from draft to publication through the API: stages, roles, money, events, public page."""

import json
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.auth import Role
from tests.integration.test_funding_support import (
    create_draft,
    create_pool,
    draft_body,
    facilities_case,
    feed,
    new_id,
    start_funding,
    step,
    to_notice,
)

PROBLEM = "application/problem+json"


@pytest.fixture
async def funding(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await start_funding(stack, nats_server, databases, keys)


async def staged_events(f) -> list[dict]:
    outbox = f.service.runtime.tables.outbox
    async with f.service.runtime.maker() as session:
        rows = (await session.execute(select(outbox.c.event_type, outbox.c.body).order_by(outbox.c.seq))).all()
    return [{"type": row.event_type, **json.loads(row.body)["data"]} for row in rows]


async def test_a_project_goes_from_draft_to_published_and_the_books_balance(funding):
    f = funding
    caps = {"service_cap": "20000.00", "goods_cap": "20000.00", "works_cap": "50000.00"}
    pool = await create_pool(f, total="50000.00", **caps)
    project = await create_draft(f, pool["id"], budget="12000.50")
    pid = project["id"]
    assert (project["status"], project["budget"], project["village_ids"]) == ("draft", "12000.50", [f.village_id])
    await to_notice(f, pid, days=5)
    f.clock.advance(timedelta(days=5))
    funded = await step(f, pid, "approval", {"note": "批准"}, f.office)
    assert (funded["status"], funded["money"]["allocated"], funded["money"]["balance"]) == (
        "funded",
        "12000.50",
        "12000.50",
    )
    milestone = funded["milestones"][0]["id"]
    progress = {"month": "2026-04", "percent": 60, "note": "设备已到货", "completed_milestone_ids": []}
    await step(f, pid, "progress", progress, f.deputy, expect=201)
    assert (await f.client.get(f"/projects/{pid}", headers=f.office)).json()["status"] == "in_progress"
    paid = await step(f, pid, "disbursements", {"amount": "8000.00", "purpose": "首付款"}, f.finance, expect=201)
    assert (paid["kind"], paid["project_balance"], paid["pool_available"]) == ("disbursement", "4000.50", "37999.50")
    final = {"month": "2026-05", "percent": 100, "note": "安装完成", "completed_milestone_ids": [milestone]}
    await step(f, pid, "progress", final, f.staff, expect=201)
    accepted = await step(f, pid, "acceptance", {"report": "验收合格"}, f.staff)
    assert accepted["status"] == "accepted" and accepted["milestones"][0]["done_on"] == "2026-03-07"
    released = await step(f, pid, "releases", {}, f.finance, expect=201)
    assert (released["amount"], released["pool_available"]) == ("4000.50", "42000.00")
    for n, score in enumerate((5, 4)):
        villager = f.headers(Role.villager, subject=f"villager-{n}")
        await step(f, pid, "ratings", {"score": score, "comment": "好"}, villager, expect=201)
    await step(f, pid, "publication", {"note": "公示结果"}, f.office)

    public = (await f.client.get(f"/public/villages/{f.village_id}/projects")).json()
    assert public["total"] == 1
    shown = public["items"][0]
    assert (shown["status"], shown["allocated"], shown["spent"], shown["progress_percent"]) == (
        "published",
        "12000.50",
        "8000.00",
        100,
    )
    assert (shown["rating_average"], shown["rating_count"], shown["village_names"]) == (4.5, 2, ["韶阳村"])
    assert (shown["milestones_done"], shown["milestones_total"]) == (1, 1)
    assert "deputy" not in json.dumps(shown) and "villager" not in json.dumps(shown)
    books = (await f.client.get(f"/fund-pools/{pool['id']}/reconciliation", headers=f.office)).json()
    assert books["balanced"] and (books["disbursed"], books["released"], books["available"]) == (
        "8000.00",
        "4000.50",
        "42000.00",
    )
    ledger = (await f.client.get("/ledger-entries", params={"project_id": pid}, headers=f.finance)).json()
    assert [entry["kind"] for entry in ledger["items"]] == ["allocation", "disbursement", "release"]
    steps = (await f.client.get(f"/projects/{pid}/steps", headers=f.office)).json()
    assert [item["to_status"] for item in steps["items"]] == [
        "draft",
        "submitted",
        "screened",
        "deliberated",
        "in_notice",
        "funded",
        "in_progress",
        "accepted",
        "evaluated",
        "published",
    ]

    types = [event["type"] for event in await staged_events(f)]
    for stage in ("drafted", "screened", "deliberated", "noticed", "approved", "started"):
        assert f"funding.project.{stage}.v1" in types
    for stage in ("submitted", "completed"):  # v2: with the suggestion it carries out, if any
        assert f"funding.project.{stage}.v2" in types and f"funding.project.{stage}.v1" not in types
    for kind in ("appropriated", "allocated", "disbursed", "released"):
        assert f"funding.ledger.{kind}.v1" in types
    assert {"funding.project.evaluated.v1", "funding.project.published.v1", "funding.pool.created.v1"} <= set(types)
    completed = next(e for e in await staged_events(f) if e["type"] == "funding.project.completed.v2")
    assert completed["case_ids"] == [f.case_id] and completed["deputy_ids"] == [f.deputy_id]


async def test_an_upheld_objection_sends_the_project_back_to_draft(funding):
    f = funding
    pool = await create_pool(f)
    pid = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, pid, days=7)
    objection = await step(f, pid, "objections", {"text": "选址离住户太近"}, f.headers(Role.villager), expect=201)
    dismissed = await step(f, pid, "objections", {"text": "不需要"}, f.headers(Role.villager), expect=201)
    raised = [event for event in await staged_events(f) if event["type"] == "funding.objection.raised.v1"]
    # the office is told (through the notification service): ids only, never the objector nor the words
    assert [(event["objection_id"], event["project_id"]) for event in raised] == [
        (objection["id"], pid),
        (dismissed["id"], pid),
    ]
    assert all(set(event) == {"type", "objection_id", "project_id", "at"} for event in raised)
    f.clock.advance(timedelta(days=8))
    late = await f.client.post(f"/projects/{pid}/objections", json={"text": "太晚了"}, headers=f.headers(Role.villager))
    assert late.status_code == 409
    answer = await f.client.post(f"/projects/{pid}/approval", json={}, headers=f.office)
    assert answer.status_code == 409 and "异议" in answer.json()["detail"]
    ruling = {"upheld": False, "note": "理由不成立"}
    await step(f, pid, f"objections/{dismissed['id']}/ruling", ruling, f.office)
    ruling = {"upheld": True, "note": "请重新选址"}
    upheld = await step(f, pid, f"objections/{objection['id']}/ruling", ruling, f.office)
    assert upheld["status"] == "upheld"
    project = (await f.client.get(f"/projects/{pid}", headers=f.deputy)).json()
    assert (project["status"], project["status_reason"]) == ("draft", "请重新选址")
    edited = await f.client.put(
        f"/projects/{pid}", json=draft_body(f, pool["id"], title="换址后的充电桩"), headers=f.deputy
    )
    assert edited.status_code == 200 and edited.json()["title"] == "换址后的充电桩"
    assert "funding.project.returned.v1" in [event["type"] for event in await staged_events(f)]


async def test_approval_waits_for_the_end_of_the_notice(funding):
    f = funding
    pool = await create_pool(f)
    pid = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, pid, days=7)
    f.clock.advance(timedelta(days=6, hours=23))
    early = await f.client.post(f"/projects/{pid}/approval", json={}, headers=f.office)
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM
    f.clock.advance(timedelta(hours=1))
    await step(f, pid, "approval", {}, f.office)


async def test_a_failed_vote_and_screening_reject_with_reasons_and_withdrawal_is_the_deputys(funding):
    f = funding
    pool = await create_pool(f)
    first = (await create_draft(f, pool["id"]))["id"]
    await step(f, first, "submission", None, f.deputy)
    rejected = await step(f, first, "screening", {"decision": "reject", "note": "属物业管理范围"}, f.staff)
    assert (rejected["status"], rejected["status_reason"]) == ("rejected", "属物业管理范围")
    second = (await create_draft(f, pool["id"]))["id"]
    await step(f, second, "submission", None, f.deputy)
    await step(f, second, "screening", {"decision": "pass"}, f.staff)
    vote = {"review": "不同意", "votes_for": 3, "votes_against": 3}
    assert (await step(f, second, "deliberation", vote, f.office))["status"] == "rejected"
    third = (await create_draft(f, pool["id"]))["id"]
    other_deputy = f.headers(Role.deputy, deputy_id=new_id())
    answer = await f.client.post(f"/projects/{third}/withdrawal", json={"reason": "x"}, headers=other_deputy)
    assert answer.status_code == 403
    withdrawn = await step(f, third, "withdrawal", {"reason": "已由政府投资解决"}, f.deputy)
    assert withdrawn["status"] == "withdrawn"


async def test_access_rules(funding):
    f = funding
    pool = await create_pool(f)
    pid = (await create_draft(f, pool["id"]))["id"]
    other_deputy = f.headers(Role.deputy, deputy_id=new_id())
    villager = f.headers(Role.villager)
    # deputies edit and see only their own drafts
    body = draft_body(f, pool["id"], title="改")
    assert (await f.client.put(f"/projects/{pid}", json=body, headers=other_deputy)).status_code == 403
    assert (await f.client.put(f"/projects/{pid}", json=body, headers=f.office)).status_code == 403
    assert (await f.client.get(f"/projects/{pid}", headers=other_deputy)).status_code == 403
    assert (await f.client.get(f"/projects/{pid}", headers=f.office)).status_code == 403
    assert (await f.client.get("/projects", headers=other_deputy)).json()["total"] == 0
    assert (await f.client.get("/projects", headers=f.deputy)).json()["total"] == 1
    assert (await f.client.post(f"/projects/{pid}/submission", headers=other_deputy)).status_code == 403
    # only station staff screen, only the NPC office deliberates and approves
    await step(f, pid, "submission", None, f.deputy)
    screening = {"decision": "pass"}
    for headers in (f.deputy, f.office, f.finance, villager):
        assert (await f.client.post(f"/projects/{pid}/screening", json=screening, headers=headers)).status_code == 403
    await step(f, pid, "screening", screening, f.staff)
    vote = {"review": "通过", "votes_for": 5, "votes_against": 0}
    assert (await f.client.post(f"/projects/{pid}/deliberation", json=vote, headers=f.staff)).status_code == 403
    await step(f, pid, "deliberation", vote, f.office)
    await step(f, pid, "notice", {"days": 1}, f.office)
    f.clock.advance(timedelta(days=1))
    for headers in (f.deputy, f.staff, f.finance, villager):
        assert (await f.client.post(f"/projects/{pid}/approval", json={}, headers=headers)).status_code == 403
    assert (await f.client.post(f"/projects/{pid}/approval", json={})).status_code == 401
    await step(f, pid, "approval", {}, f.office)
    # only finance disburses and releases
    pay = {"amount": "100.00", "purpose": "付款"}
    for headers in (f.deputy, f.staff, f.office, villager):
        assert (await f.client.post(f"/projects/{pid}/disbursements", json=pay, headers=headers)).status_code == 403
        assert (await f.client.post(f"/projects/{pid}/releases", json={}, headers=headers)).status_code == 403
    assert (await f.client.post(f"/projects/{pid}/disbursements", json=pay, headers=f.finance)).status_code == 201
    # finance may not pay more than is left, nor approve
    too_much = {"amount": "9900.01", "purpose": "超额"}
    assert (await f.client.post(f"/projects/{pid}/disbursements", json=too_much, headers=f.finance)).status_code == 409
    # villagers see the public page, not the officials' record
    assert (await f.client.get(f"/projects/{pid}", headers=villager)).status_code == 403
    assert (await f.client.get(f"/public/projects/{pid}")).status_code == 200
    assert (await f.client.get(f"/fund-pools/{pool['id']}/reconciliation", headers=villager)).status_code == 403


async def test_proposals_must_cite_known_cases_and_keep_within_the_cap(funding):
    f = funding
    pool = await create_pool(f)
    unknown_case = draft_body(f, pool["id"], case_ids=[new_id()])
    assert (await f.client.post("/projects", json=unknown_case, headers=f.deputy)).status_code == 422
    unknown_grid = draft_body(f, pool["id"], grid_ids=[new_id()])
    assert (await f.client.post("/projects", json=unknown_grid, headers=f.deputy)).status_code == 422
    for twice in ({"grid_ids": [f.group_id, f.group_id]}, {"case_ids": [f.case_id, f.case_id]}):
        answer = await f.client.post("/projects", json=draft_body(f, pool["id"], **twice), headers=f.deputy)
        assert answer.status_code == 422 and answer.json()["errors"][0]["loc"][1] in twice, answer.text
    over_cap = draft_body(f, pool["id"], budget="200000.01")
    answer = await f.client.post("/projects", json=over_cap, headers=f.deputy)
    assert answer.status_code == 422 and "上限" in answer.json()["detail"]
    no_pool = draft_body(f, new_id())
    assert (await f.client.post("/projects", json=no_pool, headers=f.deputy)).status_code == 404
    withdrawn_case = new_id()
    await feed(f.service, facilities_case(withdrawn_case, f.group_id, [f.deputy_id]))
    from shared.messaging.catalogue import CaseWithdrawn

    await feed(
        f.service,
        CaseWithdrawn(
            case_id=withdrawn_case,
            tracking_code="SS-TEST",
            grid_id=f.group_id,
            kind="request",
            category="facilities",
            from_status="assigned",
            to_status="withdrawn",
            deputy_ids=[f.deputy_id],
            at=f.clock.now() + timedelta(minutes=1),
        ),
    )
    dead = draft_body(f, pool["id"], case_ids=[withdrawn_case])
    answer = await f.client.post("/projects", json=dead, headers=f.deputy)
    assert answer.status_code == 422 and "已撤回" in answer.json()["detail"]
    assert (await f.client.post("/projects", json=draft_body(f, pool["id"]), headers=f.staff)).status_code == 403


async def test_creates_are_idempotent(funding):
    f = funding
    pool = await create_pool(f)
    headers = {**f.deputy, "Idempotency-Key": "offline-project-0001"}
    first = await f.client.post("/projects", json=draft_body(f, pool["id"]), headers=headers)
    again = await f.client.post("/projects", json=draft_body(f, pool["id"]), headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (await f.client.get("/projects", headers=f.deputy)).json()["total"] == 1
    pid = first.json()["id"]
    await to_notice(f, pid)
    f.clock.advance(timedelta(days=7))
    await step(f, pid, "approval", {}, f.office)
    pay = {**f.finance, "Idempotency-Key": "offline-pay-0001"}
    answers = [
        await f.client.post(f"/projects/{pid}/disbursements", json={"amount": "10.00", "purpose": "x"}, headers=pay)
        for _ in range(3)
    ]
    assert {answer.json()["id"] for answer in answers} == {answers[0].json()["id"]}
    ledger = await f.client.get("/ledger-entries", params={"project_id": pid, "kind": "disbursement"}, headers=pay)
    assert ledger.json()["total"] == 1


async def test_the_public_page_shows_only_projects_from_their_notice_on(funding):
    f = funding
    pool = await create_pool(f)
    await create_draft(f, pool["id"])
    assert (await f.client.get(f"/public/villages/{f.village_id}/projects")).json()["total"] == 0
    pid = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, pid)
    page = (await f.client.get(f"/public/villages/{f.village_id}/projects")).json()
    assert [item["id"] for item in page["items"]] == [pid] and page["items"][0]["status"] == "in_notice"
    assert (await f.client.get(f"/public/villages/{f.group_id}/projects")).status_code == 404
    assert (await f.client.get(f"/public/villages/{new_id()}/projects")).status_code == 404
