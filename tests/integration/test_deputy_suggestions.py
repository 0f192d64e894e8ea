"""Deputies' suggestions (代表建议) through the deputy service over real NATS and a real database: the whole
handling by the right roles, a stranger of every role refused at every step not theirs, the office's returns,
merges and re-assignment, the legal times on a moved clock, and what the five ones and the statistics count."""

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.deputy.logic.suggestion_deadlines import run_deadlines
from services.deputy.models import InboxCase
from shared.auth import Role
from shared.clock import CHINA, MovableClock
from shared.messaging.bus import Bus
from shared.messaging.catalogue import envelope
from tests.support import case_submitted, eventually, start_service


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


class Hall:
    """The deputy service on a moved clock, three deputies and a caller of every role."""

    def __init__(self, service, keys, nats_url: str) -> None:
        self.service, self.keys, self.nats_url = service, keys, nats_url
        self.client, self.runtime = service.client, service.runtime
        self.office = keys.headers(Role.npc_office, subject="office-1")

    def deputy(self, deputy_id: str) -> dict[str, str]:
        return self.keys.headers(Role.deputy, deputy_id=deputy_id, subject=f"deputy-{deputy_id[:8]}")

    def officer(self, organisation: str) -> dict[str, str]:
        return self.keys.headers(Role.agency_officer, organisation=organisation, subject=f"officer-{organisation}")

    async def register(self, code: str) -> str:
        body = {"code": code, "name": f"代表{code}", "level": "township", "district": "第0101选区"}
        answer = await self.client.post("/deputies", json=body, headers=self.office)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    async def act(self, suggestion_id: str, action: str, headers: dict, body: dict | None = None, status: int = 200):
        answer = await self.client.post(f"/suggestions/{suggestion_id}/{action}", json=body or {}, headers=headers)
        assert answer.status_code == status, (action, answer.text)
        return answer.json()

    async def draft(self, headers: dict, **fields) -> dict:
        body = {
            "title": "老旧小区加装充电桩",
            "problem": "电动车在楼道充电，火灾隐患大",
            "proposal": "统一建设充电桩",
            **fields,
        }
        answer = await self.client.post("/suggestions", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def outbox(self, event_type: str) -> list[dict]:
        table = self.runtime.tables.outbox
        query = select(table.c.body).where(table.c.event_type == event_type).order_by(table.c.seq)
        async with self.runtime.maker() as session:
            return [json.loads(row.body)["data"] for row in (await session.execute(query)).all()]

    async def tick(self, at: datetime) -> int:
        self.runtime.clock.current = at
        while (given := await run_deadlines(self.runtime)) is None:
            await asyncio.sleep(0.05)
        return given


@pytest.fixture
async def hall(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        service.runtime.clock = MovableClock(local(2026, 3, 2, 10))
        yield Hall(service, keys, nats_server.url)


def strangers(hall: Hall, *deputy_ids: str) -> dict[str, dict]:
    """A caller of every role with no part in the step: other deputies, another organisation's officer, a
    villager, finance, station staff."""
    callers = {f"deputy {deputy_id[:4]}": hall.deputy(deputy_id) for deputy_id in deputy_ids}
    return {
        **callers,
        "health officer": hall.officer("health-bureau"),
        "villager": hall.keys.headers(Role.villager),
        "finance": hall.keys.headers(Role.finance),
        "staff": hall.keys.headers(Role.station_staff),
    }


async def refused(hall: Hall, suggestion_id: str, action: str, callers: dict[str, dict], body: dict | None = None):
    for name, headers in callers.items():
        answer = await hall.client.post(f"/suggestions/{suggestion_id}/{action}", json=body or {}, headers=headers)
        assert answer.status_code == 403, (action, name, answer.text)


async def test_a_suggestion_walks_every_step_by_the_right_roles_and_strangers_are_refused(hall):
    lead_id, cosigner_id, other_id = [await hall.register(code) for code in ("S1", "S2", "S3")]
    lead, cosigner, other = hall.deputy(lead_id), hall.deputy(cosigner_id), hall.deputy(other_id)
    water, roads = hall.officer("water-bureau"), hall.officer("roads-bureau")
    case_id = str(uuid.uuid4())
    bus = Bus(hall.nats_url)
    await bus.connect()
    event = envelope("/tests", case_submitted(case_id, deputy_ids=[lead_id], category="roads"))
    await bus.publish(event.type, event.model_dump_json().encode(), {})
    await bus.close()

    async def in_inbox():
        async with hall.runtime.maker() as session:
            return await session.get(InboxCase, (lead_id, case_id))

    await eventually(in_inbox)
    visit = await hall.client.post(
        f"/deputies/{lead_id}/record",
        json={"kind": "field_visit", "occurred_at": "2026-02-20T10:00:00+08:00", "summary": "走访小区 13912345678"},
        headers=lead,
    )
    assert visit.status_code == 201
    evidence = [{"source": "case", "id": case_id}, {"source": "record", "id": visit.json()["id"]}]

    not_deputies = strangers(hall) | {"office": hall.office, "water officer": water}
    for name, headers in not_deputies.items():  # any deputy drafts their own; nobody else does
        body = {"title": "t", "problem": "p", "proposal": "p"}
        assert (await hall.client.post("/suggestions", json=body, headers=headers)).status_code == 403, name
    not_mine = await hall.client.post(
        "/suggestions", json={"title": "t", "problem": "p", "proposal": "p", "evidence": evidence}, headers=other
    )
    assert not_mine.status_code == 422  # another deputy's inbox and record are not theirs to cite

    draft = await hall.draft(lead, cosigner_ids=[cosigner_id], evidence=evidence)
    sid = draft["id"]
    assert draft["state"] == "draft" and [d["signed"] for d in draft["deputies"]] == [True, False]
    assert {(item["source"], item["summary"]) for item in draft["evidence"]} == {
        ("case", "roads"),
        ("record", "走访小区 ***********"),  # the public summary: the number redacted
    }
    assert (await hall.client.get(f"/suggestions/{sid}")).status_code == 404  # a draft is nobody else's
    assert (await hall.client.get(f"/suggestions/{sid}", headers=other)).status_code == 404
    edit = await hall.client.put(
        f"/suggestions/{sid}", json={"title": "x", "problem": "p", "proposal": "p"}, headers=other
    )
    assert edit.status_code == 403
    await refused(hall, sid, "sign", strangers(hall, other_id) | {"office": hall.office})
    await refused(hall, sid, "submit", strangers(hall, other_id) | {"co-signer": cosigner, "office": hall.office})
    await hall.act(sid, "submit", lead, status=409)  # the co-signer has not signed
    await hall.act(sid, "sign", cosigner)
    await hall.act(sid, "submit", lead)

    office_only = strangers(hall, other_id) | {"lead": lead, "co-signer": cosigner, "water officer": water}
    await refused(hall, sid, "accept", office_only)
    await refused(hall, sid, "return", office_only, {"reason": "r"})
    await hall.act(sid, "accept", hall.office)
    assign = {"lead_organisation": "water-bureau", "co_organisations": ["roads-bureau"]}
    await refused(hall, sid, "assign", office_only, assign)
    assigned = await hall.act(sid, "assign", hall.office, assign)
    assert assigned["state"] == "assigned" and assigned["due_at"] == "2026-06-02T16:00:00Z"  # three months
    co_work = (await hall.client.get("/suggestions/work", headers=roads)).json()
    assert [item["id"] for item in co_work["items"]] == [sid]
    lookalike = hall.officer("roads_bureau")  # "_" is no wildcard: not roads-bureau's
    assert (await hall.client.get("/suggestions/work", headers=lookalike)).json()["total"] == 0
    assert (await hall.client.get(f"/suggestions/{sid}", headers=lookalike)).json()["evidence"] == []

    hall.runtime.clock.current = local(2026, 3, 20, 10)
    answer = {"answer_class": "planned", "text": "纳入年度计划", "measures": "分批建设", "promised_on": "2026-09-30"}
    await refused(
        hall, sid, "answer", strangers(hall, other_id) | {"lead": lead, "office": hall.office, "co": roads}, answer
    )
    await hall.act(sid, "answer", water, answer, status=409)  # the co-organisation's opinion comes first
    await refused(hall, sid, "opinion", strangers(hall, other_id) | {"lead org": water, "lead": lead}, {"text": "o"})
    await hall.act(sid, "opinion", roads, {"text": "同意，配合选址"})
    answered = await hall.act(sid, "answer", water, answer)
    assert answered["state"] == "answered" and answered["answers"][0]["on_time"] is True

    contact = {"method": "phone", "on": "2026-03-18"}
    await refused(
        hall, sid, "contact", strangers(hall, other_id) | {"water officer": water, "office": hall.office}, contact
    )
    await hall.act(sid, "rate", lead, {"rating": "satisfied"}, status=409)  # the contact is recorded first
    await hall.act(sid, "contact", cosigner, contact)
    rate_strangers = strangers(hall, other_id) | {"co-signer": cosigner, "water officer": water, "office": hall.office}
    await refused(hall, sid, "rate", rate_strangers, {"rating": "satisfied"})
    await hall.act(sid, "rate", lead, {"rating": "dissatisfied"}, status=422)  # a reason is required
    rated = await hall.act(sid, "rate", lead, {"rating": "dissatisfied", "reason": "进度太慢"})
    assert rated["state"] == "dissatisfied"

    hall.runtime.clock.current = local(2026, 3, 25, 10)
    await refused(hall, sid, "rehandle", office_only, {"reason": "代表不满意"})
    again = await hall.act(sid, "rehandle", hall.office, {"reason": "代表不满意"})
    assert again["state"] == "rehandling" and again["round"] == 2 and again["due_at"] == "2026-04-25T16:00:00Z"
    await hall.act(sid, "opinion", roads, {"text": "已完成选址"})
    await hall.act(sid, "answer", water, {**answer, "promised_on": "2026-06-30", "text": "提前到二季度"})
    await hall.act(sid, "contact", lead, {"method": "in_person", "on": "2026-03-24"})
    planned = await hall.act(sid, "rate", lead, {"rating": "satisfied"})
    assert planned["state"] == "planned" and [a["rating"] for a in planned["answers"]] == ["dissatisfied", "satisfied"]

    done_strangers = strangers(hall, other_id) | {"lead": lead, "co": roads, "office": hall.office}
    await refused(hall, sid, "done", done_strangers, {"report": "已建成"})
    done = await hall.act(sid, "done", water, {"report": "12个小区已建成充电桩"})
    assert done["state"] == "completed" and done["completed_at"]

    listed = (await hall.client.get("/suggestions")).json()
    assert [(item["id"], item["answer_class"], item["rating"]) for item in listed["items"]] == [
        (sid, "planned", "satisfied")
    ]
    assert [d["name"] for d in listed["items"][0]["deputies"]] == ["代表S1", "代表S2"]
    public = (await hall.client.get(f"/suggestions/{sid}")).json()
    assert public["evidence"] == [] and public["opinions"] == []  # villagers' cases and internal opinions stay in
    await refused(hall, sid, "publication", office_only, {"public": False})
    await hall.act(sid, "publication", hall.office, {"public": False})
    assert (await hall.client.get("/suggestions")).json()["total"] == 0
    assert (await hall.client.get(f"/suggestions/{sid}", headers=hall.keys.headers(Role.villager))).status_code == 404

    steps = [
        "submitted", "accepted", "assigned", "answered", "rated", "rehandled", "answered", "rated", "completed"
    ]  # fmt: skip
    table = hall.runtime.tables.outbox
    async with hall.runtime.maker() as session:
        types = (await session.execute(select(table.c.event_type).order_by(table.c.seq))).scalars().all()
    assert [t.split(".")[2] for t in types if t.startswith("deputy.suggestion.")] == steps
    completed = (await hall.outbox("deputy.suggestion.completed.v1"))[0]
    assert completed["deputy_ids"] == [lead_id, cosigner_id] and completed["co_organisations"] == ["roads-bureau"]

    audit = await hall.client.get("/audit", params={"target_id": sid, "limit": 50}, headers=hall.office)
    actions = [entry["action"] for entry in reversed(audit.json()["items"])]
    assert actions[:4] == [
        "deputy.suggestion.draft",
        "deputy.suggestion.sign",
        "deputy.suggestion.submit",
        "deputy.suggestion.accept",
    ]
    assert actions[-2:] == ["deputy.suggestion.report_done", "deputy.suggestion.publication"]
    assert len(actions) == 16  # each step taken, once; no entry for any refused step

    for deputy_id, headers, done_it in ((lead_id, lead, True), (cosigner_id, cosigner, True), (other_id, other, False)):
        ones = (
            await hall.client.get(f"/deputies/{deputy_id}/five-ones", params={"year": 2026}, headers=headers)
        ).json()
        assert next(item for item in ones["items"] if item["item"] == "suggestion")["done"] is done_it
    figures = (await hall.client.get("/statistics", params={"date_from": "2026-01-01", "date_to": "2026-12-31"})).json()
    assert figures["total"]["suggestions"] == 1  # two deputies, one suggestion


async def test_the_office_returns_and_merges_and_the_lead_organisation_may_ask_for_another_within_ten_days(hall):
    a_id, b_id = await hall.register("M1"), await hall.register("M2")
    a, b = hall.deputy(a_id), hall.deputy(b_id)
    first = (await hall.draft(a))["id"]
    await hall.act(first, "submit", a)
    returned = await hall.act(first, "return", hall.office, {"reason": "请补充调研数据"})
    assert returned["state"] == "returned" and returned["reason"] == "请补充调研数据"
    await hall.act(first, "accept", hall.office, status=409)
    rewritten = await hall.client.put(
        f"/suggestions/{first}", json={"title": "补充后的建议", "problem": "p", "proposal": "q"}, headers=a
    )
    assert rewritten.status_code == 200 and rewritten.json()["title"] == "补充后的建议"
    await hall.act(first, "submit", a)
    await hall.act(first, "accept", hall.office)

    second = (await hall.draft(b, title="同类建议"))["id"]
    await hall.act(second, "submit", b)
    await refused(hall, second, "merge", strangers(hall, a_id, b_id), {"into_id": first, "reason": "同类"})
    merged = await hall.act(second, "merge", hall.office, {"into_id": first, "reason": "同类"})
    assert merged["state"] == "merged" and merged["merged_into_id"] == first
    joined = (await hall.client.get(f"/suggestions/{first}", headers=hall.office)).json()
    assert [d["deputy_id"] for d in joined["deputies"]] == [a_id, b_id]
    ones = (await hall.client.get(f"/deputies/{b_id}/five-ones", params={"year": 2026}, headers=b)).json()
    assert next(item for item in ones["items"] if item["item"] == "suggestion")["done"] is True

    await hall.act(first, "assign", hall.office, {"lead_organisation": "water-bureau"})
    hall.runtime.clock.current = local(2026, 3, 10, 10)
    await refused(
        hall, first, "reassignment", {"health officer": hall.officer("health-bureau"), "lead": a}, {"reason": "x"}
    )
    asked = await hall.act(first, "reassignment", hall.officer("water-bureau"), {"reason": "属卫健部门职责"})
    assert asked["state"] == "reassignment_requested" and asked["due_at"] is None
    body = {"lead_organisation": "health-bureau", "broad": True}
    reassigned = await hall.act(first, "assign", hall.office, body)
    assert reassigned["due_at"] == "2026-09-10T16:00:00Z"  # six months from the new assignment
    hall.runtime.clock.current = local(2026, 3, 21, 10)
    await hall.act(first, "reassignment", hall.officer("health-bureau"), {"reason": "x"}, status=409)  # 11 days on
    again = await hall.client.post(f"/suggestions/{first}/assign", json={"lead_organisation": "x"}, headers=hall.office)
    assert again.status_code == 409  # assigned, and nobody asked for another organisation

    board = await hall.client.get("/suggestions/board", params={"year": 2026}, headers=hall.office)
    assert board.status_code == 200
    assert board.json()["by_state"] == {"merged": 1, "assigned": 1}
    for _name, headers in strangers(hall, a_id).items():
        assert (await hall.client.get("/suggestions/board", params={"year": 2026}, headers=headers)).status_code == 403
    for role in (Role.villager, Role.finance, Role.station_staff):
        assert (await hall.client.get("/suggestions/work", headers=hall.keys.headers(role))).status_code == 403
    work = (await hall.client.get("/suggestions/work", headers=hall.officer("health-bureau"))).json()
    assert [item["id"] for item in work["items"]] == [first]
    assert (await hall.client.get("/suggestions/work", headers=hall.officer("water-bureau"))).json()["total"] == 0


async def test_an_answer_late_after_three_months_is_reminded_and_escalated_and_a_six_month_one_is_not(hall):
    lead_id = await hall.register("T1")
    lead = hall.deputy(lead_id)
    ids = []
    for broad in (False, True):
        sid = (await hall.draft(lead, title=f"broad={broad}"))["id"]
        await hall.act(sid, "submit", lead)
        await hall.act(sid, "accept", hall.office)
        await hall.act(sid, "assign", hall.office, {"lead_organisation": "water-bureau", "broad": broad})
        ids.append(sid)
    later = await hall.client.post(
        f"/suggestions/{(await hall.draft(lead))['id']}/assign",
        json={"lead_organisation": "water-bureau", "due_on": "2026-06-03"},
        headers=hall.office,
    )
    assert later.status_code == 409  # a draft is not assigned
    three, six = ids

    assert await hall.tick(local(2026, 5, 18, 10)) == 0  # more than 14 days before 2 June
    assert await hall.tick(local(2026, 5, 20, 10)) == 1
    assert await hall.tick(local(2026, 5, 21, 10)) == 0  # once
    assert await hall.tick(local(2026, 6, 3, 0, 30)) == 1  # late: escalated to the office
    assert await hall.tick(local(2026, 6, 4, 0, 30)) == 0
    reminded = await hall.outbox("deputy.suggestion.reminded.v1")
    assert [(event["suggestion_id"], event["stage"]) for event in reminded] == [
        (three, "reminder"),
        (three, "escalation"),
    ]
    assert reminded[0]["lead_organisation"] == "water-bureau"
    overdue = (await hall.client.get("/suggestions/work", params={"overdue": True}, headers=hall.office)).json()
    assert [item["id"] for item in overdue["items"]] == [three]
    board = (await hall.client.get("/suggestions/board", params={"year": 2026}, headers=hall.office)).json()
    assert board["total"]["overdue"] == 1 and board["by_organisation"][0]["organisation"] == "water-bureau"

    six_month = (await hall.client.get(f"/suggestions/{six}", headers=hall.office)).json()
    assert six_month["due_at"] == "2026-09-02T16:00:00Z" and six_month["overdue"] is False
    late_answer = {"answer_class": "solved", "text": "已解决"}
    answered = await hall.act(three, "answer", hall.officer("water-bureau"), late_answer)
    assert answered["answers"][0]["on_time"] is False
    assert await hall.tick(local(2026, 8, 30, 10)) == 1  # the six-month one: its reminder, in August
    assert await hall.tick(local(2026, 9, 3, 10)) == 1


async def test_only_an_accepted_suggestion_counts_and_once_however_many_signed(hall):
    a_id, b_id = await hall.register("C1"), await hall.register("C2")
    a, b = hall.deputy(a_id), hall.deputy(b_id)
    entry = {"kind": "suggestion", "occurred_at": "2026-03-01T10:00:00+08:00", "summary": "口头建议"}
    assert (await hall.client.post(f"/deputies/{a_id}/record", json=entry, headers=a)).status_code == 201
    drafted = (await hall.draft(a, cosigner_ids=[b_id]))["id"]
    await hall.act(drafted, "sign", b)
    await hall.act(drafted, "submit", a)
    year = {"date_from": "2026-01-01", "date_to": "2026-12-31"}

    async def suggestions() -> int:
        return (await hall.client.get("/statistics", params=year)).json()["total"]["suggestions"]

    assert await suggestions() == 0  # an entry written and a suggestion submitted are not suggestions made
    ones = (await hall.client.get(f"/deputies/{a_id}/five-ones", params={"year": 2026}, headers=a)).json()
    assert next(item for item in ones["items"] if item["item"] == "suggestion")["done"] is False
    await hall.act(drafted, "accept", hall.office)
    assert await suggestions() == 1
    returned = (await hall.draft(b))["id"]
    await hall.act(returned, "submit", b)
    await hall.act(returned, "return", hall.office, {"reason": "不属于建议范围"})
    assert await suggestions() == 1
    record = (await hall.client.get(f"/deputies/{b_id}/record", headers=b)).json()["items"]
    assert [(item["kind"], item["summary"]) for item in record] == [("suggestion", "老旧小区加装充电桩")]
    assert (await hall.client.get("/suggestions", params={"year": 2026})).json()["total"] == 1


async def test_the_legal_times_refuse_a_later_day_and_a_day_past(hall):
    lead_id = await hall.register("L1")
    lead = hall.deputy(lead_id)
    sid = (await hall.draft(lead))["id"]
    await hall.act(sid, "submit", lead)
    await hall.act(sid, "accept", hall.office)
    both = {"lead_organisation": "water-bureau", "co_organisations": ["water-bureau"]}
    assert (await hall.client.post(f"/suggestions/{sid}/assign", json=both, headers=hall.office)).status_code == 422
    later = {"lead_organisation": "water-bureau", "due_on": "2026-06-03"}
    assert (await hall.client.post(f"/suggestions/{sid}/assign", json=later, headers=hall.office)).status_code == 422
    past = {"lead_organisation": "water-bureau", "due_on": "2026-03-01"}
    assert (await hall.client.post(f"/suggestions/{sid}/assign", json=past, headers=hall.office)).status_code == 422
    sooner = await hall.act(sid, "assign", hall.office, {"lead_organisation": "water-bureau", "due_on": "2026-04-30"})
    assert sooner["due_at"] == "2026-04-30T16:00:00Z"
    hall.runtime.clock.current += timedelta(days=1)
    assert (await hall.client.post(f"/suggestions/{sid}/assign", json=later, headers=hall.office)).status_code == 409
