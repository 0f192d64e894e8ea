"""The life of a case through the API: every step on the timeline and in the outbox, illegal steps refused."""

from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select

from tests.integration.city import build_town
from tests.support import eventually


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


def chain_holds(case: dict) -> bool:
    """The timeline explains the status: each step starts where the one before ended, the last is the status."""
    steps = case["timeline"]
    return (
        steps[0]["from_status"] is None
        and all(step["from_status"] == before["to_status"] for before, step in zip(steps, steps[1:], strict=False))
        and steps[-1]["to_status"] == case["status"]
    )


async def test_a_request_goes_from_filing_to_a_rated_close(town):
    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy(), {"note": "明天去看"})
    await town.act(case["id"], "start", town.deputy())
    await town.act(case["id"], "resolve", town.deputy(), {"resolution": "村务公开了水费账目"})
    closed = await town.act(case["id"], "confirm", town.villager(), {"rating": "satisfied", "comment": "谢谢"})
    assert closed["status"] == "closed" and closed["rating"] == "satisfied"
    assert [step["action"] for step in closed["timeline"]] == [
        "submit",
        "route",
        "accept",
        "start",
        "resolve",
        "confirm",
    ]
    assert chain_holds(closed)
    assert (
        closed["timeline"][2]["actor_role"] == "deputy" and closed["timeline"][2]["actor_deputy_id"] == town.deputy_id
    )
    assert closed["timeline"][5]["actor_role"] == "villager"
    events = [event["type"] for event in await town.outbox()]
    assert events == [
        "case.case.submitted.v2",
        "case.case.accepted.v1",
        "case.case.started.v1",
        "case.case.resolved.v1",
        "case.case.closed.v1",
    ]
    resolved = (await town.outbox("case.case.resolved.v1"))[0]["data"]
    assert resolved["from_status"] == "in_progress" and resolved["deputy_ids"] == [town.deputy_id]


async def test_an_illegal_step_is_refused_with_409_a_wrong_role_with_403_and_nothing_changes(town):
    case = await town.file(town.villager())
    answer = await town.client.post(
        f"/cases/{case['id']}/confirm", json={"rating": "satisfied"}, headers=town.villager()
    )
    assert answer.status_code == 409 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["current_status"] == "assigned"
    assert (await town.client.post(f"/cases/{case['id']}/accept", headers=town.villager())).status_code == 403
    assert (
        await town.client.post(f"/cases/{case['id']}/accept", headers=town.deputy(town.other_deputy_id))
    ).status_code == 403
    await town.act(case["id"], "accept", town.deputy())
    assert (await town.client.post(f"/cases/{case['id']}/accept", headers=town.deputy())).status_code == 409
    request = await town.client.post(f"/cases/{case['id']}/mediate", headers=town.deputy())
    assert request.status_code == 409  # only disputes are mediated
    after = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert after["status"] == "accepted" and len(after["timeline"]) == 3


async def test_an_action_repeated_with_its_idempotency_key_gives_the_first_answer(town):
    case = await town.file(town.villager())
    headers = {**town.deputy(), "Idempotency-Key": "deputy-offline-0001"}
    first = await town.client.post(f"/cases/{case['id']}/accept", json={}, headers=headers)
    again = await town.client.post(f"/cases/{case['id']}/accept", json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(await town.outbox("case.case.accepted.v1")) == 1


async def test_a_referral_is_answered_sent_back_answered_again_and_accepted(town):
    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy())
    body = {"organisation": "water-bureau", "organisation_kind": "government", "question": "水费为何上涨？"}
    referred = await town.act(case["id"], "refer", town.deputy(), body)
    assert referred["status"] == "referred"
    inbox = (await town.client.get("/referrals", headers=town.officer())).json()
    assert inbox["total"] == 1
    referral = inbox["items"][0]
    assert (await town.client.get("/referrals", headers=town.officer("court"))).json()["total"] == 0
    path = f"/referrals/{referral['id']}"
    wrong = await town.client.post(f"{path}/answer", json={"answer": "x"}, headers=town.officer("court"))
    assert wrong.status_code == 403
    answered = await town.client.post(f"{path}/answer", json={"answer": "按新标准收费"}, headers=town.officer())
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    back = await town.client.post(f"{path}/send-back", json={"reason": "请附上测算依据"}, headers=town.deputy())
    assert back.json()["status"] == "open" and back.json()["rounds"] == 2
    await town.client.post(f"{path}/answer", json={"answer": "测算依据已公开"}, headers=town.officer())
    accepted = await town.client.post(f"{path}/accept", json={}, headers=town.deputy())
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    case_now = (await town.client.get(f"/cases/{case['id']}", headers=town.villager())).json()
    assert case_now["status"] == "in_progress"
    assert [step["action"] for step in case_now["timeline"]][-5:] == [
        "refer",
        "referral_answered",
        "referral_returned",
        "referral_answered",
        "accept_reply",
    ]
    referred_event = (await town.outbox("case.case.referred.v1"))[0]["data"]
    assert referred_event["organisation"] == "water-bureau" and referred_event["due_at"]
    assert len(await town.outbox("case.referral.answered.v1")) == 2
    assert len(await town.outbox("case.referral.returned.v1")) == 1


MEDIATION = {
    "held_on": "2026-03-02",
    "place": "韶阳村村委会",
    "parties": [{"role": "申请人", "name": "张大山"}, {"role": "被申请人", "name": "李小河"}],
    "record": "双方就排水沟占用问题陈述了意见。",
    "outcome": "agreement",
    "agreement": {
        "facts": "排水沟被堵。",
        "disputed_points": "谁来清理。",
        "responsibilities": "双方各半。",
        "terms": "三日内共同清理。",
        "performance": "共同出工",
        "perform_by": "2026-03-05",
        "signed_by_all": True,
    },
}


async def test_a_dispute_is_mediated_to_a_signed_agreement_that_is_followed_up(town):
    case = await town.file(town.villager(), kind="dispute", category="neighbourhood")
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "mediate", town.deputy())
    body = {**MEDIATION, "mediator_deputy_ids": [town.deputy_id]}
    session = await town.client.post(f"/cases/{case['id']}/mediations", json=body, headers=town.deputy())
    assert session.status_code == 201, session.text
    mediation = session.json()
    assert mediation["confirmation_due_on"] == "2026-04-01"
    path = f"/cases/{case['id']}/mediations/{mediation['id']}"
    late = await town.client.post(f"{path}/confirmation", json={"applied_on": "2026-04-02"}, headers=town.deputy())
    assert late.status_code == 422
    assert (
        await town.client.post(f"{path}/confirmation", json={"applied_on": "2026-03-10"}, headers=town.deputy())
    ).status_code == 200
    done = await town.client.post(f"{path}/performance", json={"performed": True}, headers=town.deputy())
    assert done.json()["performed"] is True
    no_agreement = {**body, "outcome": "no_agreement"}
    assert (
        await town.client.post(f"/cases/{case['id']}/mediations", json=no_agreement, headers=town.deputy())
    ).status_code == 422
    resolved = await town.act(case["id"], "resolve", town.deputy(), {"resolution": "调解成功，已履行"})
    assert resolved["status"] == "resolved"
    mediated = await town.outbox("case.dispute.mediated.v1")
    assert mediated[0]["data"]["agreement_reached"] is True
    assert all("张大山" not in str(event) for event in await town.outbox())
    assert (await town.client.get(f"/cases/{case['id']}/mediations", headers=town.villager())).status_code == 403


async def test_a_wrongly_assigned_case_is_returned_and_dispatched_to_another_grid(town):
    case = await town.file(town.villager())
    returned = await town.act(case["id"], "return", town.deputy(), {"reason": "这是第2组的事"})
    assert returned["status"] == "returned" and returned["public_reason"] == "这是第2组的事"
    assert (await town.client.post(f"/cases/{case['id']}/dispatch", json={}, headers=town.deputy())).status_code == 403
    dispatched = await town.act(case["id"], "dispatch", town.office(), {"grid_id": town.other_group_id})
    assert dispatched["status"] == "assigned" and dispatched["assigned_deputy_ids"] == [town.other_deputy_id]
    assert (await town.client.post(f"/cases/{case['id']}/accept", headers=town.deputy())).status_code == 403
    await town.act(case["id"], "accept", town.deputy(town.other_deputy_id))
    assigned = await town.outbox("case.case.assigned.v2")
    assert assigned[-1]["data"]["assigned_deputy_ids"] == [town.other_deputy_id]


async def test_an_out_of_scope_matter_is_answered_with_where_to_go(town):
    case = await town.file(town.villager(), description="我要起诉邻居")
    rejected = await town.act(
        case["id"], "reject", town.deputy(), {"reason": "属于诉讼事项", "out_of_scope": "litigation"}
    )
    assert rejected["status"] == "rejected" and "人民法院" in rejected["where_to_go"]
    assert "人民法院" in rejected["timeline"][-1]["reason"]
    listed = (await town.client.get("/out-of-scope")).json()
    assert {item["code"] for item in listed["items"]} >= {"litigation", "arbitration", "petition"}
    assert (await town.client.post(f"/cases/{case['id']}/accept", headers=town.deputy())).status_code == 409


async def test_an_anonymous_filer_follows_confirms_and_is_the_only_one_who_can(town):
    case = await town.file()
    key = case["filer_key"]
    assert key
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "resolve", town.deputy(), {"resolution": "已修好"})
    path = f"/cases/track/{case['tracking_code']}"
    assert (await town.client.post(f"{path}/confirm", json={"rating": "satisfied"})).status_code == 403
    wrong = {"X-Filer-Key": "x" * 32}
    assert (await town.client.post(f"{path}/confirm", json={"rating": "satisfied"}, headers=wrong)).status_code == 403
    reopened = await town.client.post(f"{path}/reopen", json={"reason": "又坏了"}, headers={"X-Filer-Key": key})
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    followed = (await town.client.get(path)).json()
    assert followed["timeline"][-1]["reason"] == "群众说没有解决，重新办理：又坏了"  # Chinese by default
    withdrawn = await town.client.post(f"{path}/withdraw", json={}, headers={"X-Filer-Key": key})
    assert withdrawn.json()["status"] == "withdrawn"


async def test_the_office_escalates_to_the_township_grid_head_then_to_itself_and_no_further(town):
    case = await town.file(town.villager())
    first = await town.act(case["id"], "escalate", town.office(), {"reason": "群众反映强烈"})
    assert first["status"] == "escalated" and town.head_id in first["assigned_deputy_ids"]
    await town.act(case["id"], "escalate", town.office(), {"reason": "仍未受理"})
    again = await town.client.post(f"/cases/{case['id']}/escalate", json={"reason": "x"}, headers=town.office())
    assert again.status_code == 409
    accepted = await town.act(case["id"], "accept", town.deputy(town.head_id))
    assert accepted["status"] == "accepted" and accepted["escalation_level"] == 2
    escalated = await town.outbox("case.case.escalated.v1")
    assert town.head_id in escalated[0]["data"]["deputy_ids"]


async def test_the_resolve_deadline_is_extended_once(town):
    case = await town.file(town.villager())
    accepted = await town.act(case["id"], "accept", town.deputy())
    extended = await town.act(case["id"], "extend", town.deputy(), {"working_days": 5, "reason": "需要施工队"})
    assert extended["resolve_due_at"] > accepted["resolve_due_at"]
    again = await town.client.post(
        f"/cases/{case['id']}/extend", json={"working_days": 1, "reason": "再等等"}, headers=town.deputy()
    )
    assert again.status_code == 409


async def test_the_office_reopens_a_closed_case_to_be_redone(town):
    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "resolve", town.deputy(), {"resolution": "已处理"})
    await town.act(case["id"], "confirm", town.staff(), {"rating": "unsatisfied", "return_visit": True})
    assert (
        await town.client.post(f"/cases/{case['id']}/reopen", json={"reason": "x"}, headers=town.villager())
    ).status_code == 409
    redo = await town.act(case["id"], "reopen", town.office(), {"reason": "回访不满意，重办"})
    assert redo["status"] == "reopened" and redo["rating"] is None
    assert chain_holds(redo)


async def test_categories_and_holidays_are_configured_by_the_office(town):
    categories = (await town.client.get("/categories", params={"kind": "dispute", "limit": 200})).json()
    codes = {item["code"] for item in categories["items"]}
    assert {"neighbourhood", "requisition", "medical"} <= codes and "water" not in codes
    new = {"code": "electricity", "label_zh": "用电", "label_en": "Electricity", "kinds": ["request"]}
    assert (await town.client.post("/categories", json=new, headers=town.villager())).status_code == 403
    made = await town.client.post("/categories", json=new, headers=town.office())
    assert made.status_code == 201
    await town.file(town.villager(), category="electricity")
    bad = await town.client.post(
        "/cases", json={"kind": "dispute", "category": "electricity", "description": "x", "grid_id": town.group_id}
    )
    assert bad.status_code == 422
    await town.client.patch("/categories/electricity", json={"active": False}, headers=town.office())
    retired = await town.client.post(
        "/cases", json={"kind": "request", "category": "electricity", "description": "x", "grid_id": town.group_id}
    )
    assert retired.status_code == 422
    holiday = await town.client.put("/holidays/2026-12-31", json={"name": "跨年"}, headers=town.office())
    assert holiday.status_code == 200 and holiday.json()["working"] is False
    weekday = await town.client.put("/holidays/2026-12-30", json={"name": "x", "working": True}, headers=town.office())
    assert weekday.status_code == 422
    listed = (await town.client.get("/holidays", params={"year": 2026, "limit": 200})).json()
    assert "2026-12-31" in {item["day"] for item in listed["items"]} and listed["total"] == 40
    assert (await town.client.delete("/holidays/2026-12-31", headers=town.office())).status_code == 204


async def test_an_issue_raised_at_a_station_becomes_one_case_under_the_stations_id(town):
    import uuid
    from datetime import UTC, datetime

    from shared.messaging.catalogue import StationIssueRaised

    case_id = str(uuid.uuid4())
    issue = StationIssueRaised(
        record_id=str(uuid.uuid4()),
        case_id=case_id,
        station_id=str(uuid.uuid4()),
        session_id=str(uuid.uuid4()),
        grid_id=town.group_id,
        kind="dispute",
        category="water",
        route="township",
        summary="灌溉用水分配不均",
        deputy_ids=[town.deputy_id],
        raised_at=datetime.now(UTC),
    )
    await town.publish(issue, issue.model_copy(update={"record_id": str(uuid.uuid4())}))  # the second: a repeat

    async def opened():
        answer = await town.client.get(f"/cases/{case_id}", headers=town.office())
        return answer.json() if answer.status_code == 200 else None

    case = await eventually(opened)
    assert case["channel"] == "station" and case["status"] == "assigned"
    assert case["category"] == "other"  # water is not a dispute type
    assert case["timeline"][0]["reason"].startswith("在联络站接待时提出")

    async def both_seen():
        async with town.case_intake.runtime.maker() as session:
            inbox = town.case_intake.runtime.tables.inbox
            rows = (
                await session.execute(
                    select(func.count()).select_from(inbox).where(inbox.c.event_type == issue.event_type)
                )
            ).scalar_one()
            return rows == 2

    await eventually(both_seen)
    submitted = [event for event in await town.outbox("case.case.submitted.v2") if event["data"]["case_id"] == case_id]
    assert len(submitted) == 1 and submitted[0]["data"]["channel"] == "station"
