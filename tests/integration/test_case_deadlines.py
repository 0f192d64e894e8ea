"""Deadlines in working days (and clock hours for urgent cases) with a moved clock: reminders, 催办, escalation,
late referrals, auto-closing, cases no deputy answers for, and the seeded holiday calendar."""

import asyncio
import uuid
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta

import pytest

from services.case_intake.logic.deadlines import run_deadlines
from shared.clock import CHINA, MovableClock
from tests.integration.city import build_town
from tests.support import eventually, start_service


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        town = await build_town(stack, nats_server, databases, keys)
        town.case_intake.runtime.clock = MovableClock(local(2026, 9, 24, 10))
        yield town


async def tick(runtime, at: datetime | None = None) -> int:
    if at is not None:
        runtime.clock.current = at
    while (acted := await run_deadlines(runtime)) is None:  # another replica held this tick
        await asyncio.sleep(0.05)
    return acted


async def stages(town) -> list[tuple[str, str]]:
    return [(event["data"]["deadline"], event["data"]["stage"]) for event in await town.outbox("case.case.reminded.v1")]


async def test_an_unaccepted_case_is_reminded_chased_and_escalated_across_mid_autumn_and_national_day(town):
    runtime = town.case_intake.runtime
    case = await town.file(town.villager())
    assert case["accept_due_at"] == "2026-09-28T16:00:00Z"  # the end of Monday 28 Sep: 25-27 Sep are off
    assert case["resolve_due_at"] == "2026-10-09T16:00:00Z"  # 5 working days: 28-30 Sep, 8-9 Oct

    assert await tick(runtime, local(2026, 9, 28, 15)) == 0
    assert await tick(runtime, local(2026, 9, 28, 17)) == 1
    assert await tick(runtime) == 0
    assert await stages(town) == [("accept", "reminder")]
    assert await tick(runtime, local(2026, 9, 29, 9)) == 1
    assert await stages(town) == [("accept", "reminder"), ("accept", "chase")]
    assert await tick(runtime, local(2026, 9, 30, 23)) == 0

    assert await tick(runtime, local(2026, 10, 1, 0, 30)) == 1  # two working days late: 29 and 30 Sep
    now = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert now["status"] == "escalated" and now["escalation_level"] == 1
    assert town.head_id in now["assigned_deputy_ids"]
    assert now["timeline"][-1]["actor_role"] == "system"

    assert await tick(runtime, local(2026, 10, 10, 23)) == 0  # the holidays do not count, Saturday 10 Oct does
    assert await tick(runtime, local(2026, 10, 11, 0, 30)) == 1
    now = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert now["escalation_level"] == 2
    assert [step["action"] for step in now["timeline"]] == ["submit", "route", "chase", "escalate", "escalate"]
    assert len(await town.outbox("case.case.escalated.v1")) == 2


async def test_a_late_referral_is_chased_and_an_unanswered_resolution_closes_itself(town):
    runtime = town.case_intake.runtime
    runtime.clock.current = local(2026, 11, 27, 15)  # a Friday
    case = await town.file(town.villager())
    accepted = await town.act(case["id"], "accept", town.deputy())
    assert accepted["resolve_due_at"] == "2026-12-04T16:00:00Z"  # 30 Nov - 4 Dec, over the weekend
    body = {"organisation": "water-bureau", "organisation_kind": "government", "question": "?", "due_on": "2026-11-30"}
    await town.act(case["id"], "refer", town.deputy(), body)
    assert await tick(runtime, local(2026, 11, 30, 23)) == 0
    assert await tick(runtime, local(2026, 12, 1, 9)) == 1
    assert await tick(runtime) == 0
    chase = (await town.outbox("case.case.reminded.v1"))[-1]["data"]
    assert chase["deadline"] == "referral" and chase["organisation"] == "water-bureau"

    referral = (await town.client.get("/referrals", headers=town.officer())).json()["items"][0]
    await town.client.post(f"/referrals/{referral['id']}/answer", json={"answer": "已调整"}, headers=town.officer())
    await town.client.post(f"/referrals/{referral['id']}/accept", json={}, headers=town.deputy())
    await town.act(case["id"], "resolve", town.deputy(), {"resolution": "已调整水价"})
    assert await tick(runtime, local(2026, 12, 8, 8)) == 0
    assert await tick(runtime, local(2026, 12, 8, 10)) == 1  # 7 days after the resolution
    closed = (await town.client.get(f"/cases/{case['id']}", headers=town.villager())).json()
    assert closed["status"] == "closed" and closed["rating"] is None
    assert closed["timeline"][-1]["action"] == "auto_close"


async def test_two_replicas_ticking_together_give_each_notice_once(town, databases, keys):
    async with AsyncExitStack() as stack:
        replica = await start_service(stack, "case_intake", town.case_intake.runtime.settings)
        replica.runtime.clock = town.case_intake.runtime.clock
        await town.file(town.villager())
        await town.file(town.villager())
        town.case_intake.runtime.clock.current = local(2026, 10, 20, 9)
        runtimes = [town.case_intake.runtime, replica.runtime] * 2
        results = await asyncio.gather(*[run_deadlines(runtime) for runtime in runtimes])
        assert sum(result or 0 for result in results) == 2 * 3  # per case: chase, to the head, to the office
        assert await stages(town) == [("accept", "chase")] * 2
        assert len(await town.outbox("case.case.escalated.v1")) == 4


async def test_the_scheduler_runs_in_the_service_process(nats_server, databases, keys, monkeypatch):
    monkeypatch.setenv("CASE_SCHEDULER_SECONDS", "0.1")
    monkeypatch.setenv("CASE_AUTO_CLOSE_DAYS", "3")
    async with AsyncExitStack() as stack:
        town = await build_town(stack, nats_server, databases, keys)
        clock = town.case_intake.runtime.clock = MovableClock(local(2026, 3, 2, 9))
        assert town.case_intake.runtime.policy.auto_close_days == 3
        case = await town.file(town.villager())
        await town.act(case["id"], "accept", town.deputy())
        await town.act(case["id"], "resolve", town.deputy(), {"resolution": "已处理"})
        clock.current = local(2026, 3, 5, 10)

        async def closed():
            answer = await town.client.get(f"/cases/{case['id']}", headers=town.villager())
            return answer.json()["status"] == "closed"

        await eventually(closed)


async def test_an_urgent_case_runs_on_clock_hours_over_a_weekend_and_is_escalated_in_hours(town):
    runtime = town.case_intake.runtime
    runtime.clock.current = local(2026, 11, 27, 17)  # a Friday evening
    case = await town.file(town.staff(), channel="walk_in", category="roads", urgent=True)
    assert case["urgent"] is True
    assert case["accept_due_at"] == "2026-11-27T11:00:00Z"  # 19:00 local, two hours on
    assert case["resolve_due_at"] == "2026-11-28T09:00:00Z"  # Saturday 17:00: a day on, weekend or not
    assert (await town.outbox("case.case.submitted.v2"))[-1]["data"]["urgent"] is True

    assert await tick(runtime, local(2026, 11, 27, 18, 29)) == 0
    assert await tick(runtime, local(2026, 11, 27, 18, 31)) == 1  # 30 minutes before
    assert await tick(runtime, local(2026, 11, 27, 19, 1)) == 1
    assert await stages(town) == [("accept", "reminder"), ("accept", "chase")]
    assert await tick(runtime, local(2026, 11, 27, 20, 59)) == 0
    assert await tick(runtime, local(2026, 11, 27, 21, 1)) == 1  # two hours late: the township's grid head
    assert await tick(runtime, local(2026, 11, 27, 23, 1)) == 1  # four hours late: the NPC office
    now = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert now["status"] == "escalated" and now["escalation_level"] == 2
    assert "urgent, 4 hours past the deadline" in now["timeline"][-1]["reason"]

    accepted = await town.act(case["id"], "accept", town.deputy())
    assert accepted["resolve_due_at"] == "2026-11-28T09:00:00Z"


async def test_a_safety_hazard_is_urgent_by_its_category_and_only_staff_or_deputies_mark_others(town):
    town.case_intake.runtime.clock.current = local(2026, 11, 27, 17)
    hazard = await town.file(town.villager(), category="safety", description="村口电线杆倾斜，快倒了")
    assert hazard["urgent"] is True and hazard["accept_due_at"] == "2026-11-27T11:00:00Z"
    body = {"kind": "request", "category": "roads", "description": "路坏了", "grid_id": town.group_id, "urgent": True}
    refused = await town.client.post("/cases", json=body, headers=town.villager())
    assert refused.status_code == 403
    assert (await town.client.post("/cases", json=body)).status_code == 403
    by_deputy = await town.client.post("/cases", json={**body, "channel": "field_visit"}, headers=town.deputy())
    assert by_deputy.status_code == 201 and by_deputy.json()["urgent"] is True
    plain = await town.file(town.villager(), category="roads")
    assert plain["urgent"] is False and plain["accept_due_at"] == "2026-11-30T16:00:00Z"  # the next working day


async def test_a_case_in_an_uncovered_group_goes_to_the_township_grid_head(town):
    from shared.messaging.catalogue import GridCreated

    bare = str(uuid.uuid4())
    await town.publish(
        GridCreated(grid_id=bare, code="T09V01G03", name="第3组", level="group", parent_id=town.village_id)
    )
    await eventually(lambda: _known(town, bare))
    case = await town.file(town.villager(), grid_id=bare)
    assert case["status"] == "assigned" and case["assigned_deputy_ids"] == [town.head_id]


async def test_a_case_no_deputy_answers_for_goes_to_the_office_at_its_accept_deadline(town):
    from shared.messaging.catalogue import GridCreated

    runtime = town.case_intake.runtime
    ids = [str(uuid.uuid4()) for _ in range(3)]
    await town.publish(
        GridCreated(grid_id=ids[0], code="T10", name="无人乡", level="township", parent_id=None),
        GridCreated(grid_id=ids[1], code="T10V01", name="无人村", level="village", parent_id=ids[0]),
        GridCreated(grid_id=ids[2], code="T10V01G01", name="第1组", level="group", parent_id=ids[1]),
    )
    await eventually(lambda: _known(town, ids[2]))
    case = await town.file(town.villager(), grid_id=ids[2])
    assert case["status"] == "submitted" and case["assigned_deputy_ids"] == []
    assert case["accept_due_at"] == "2026-09-28T16:00:00Z"

    assert await tick(runtime, local(2026, 9, 28, 23, 59)) == 0
    assert await tick(runtime, local(2026, 9, 29, 0, 1)) == 1
    assert await tick(runtime) == 0
    office = (await town.client.get("/cases", headers=town.office(), params={"status": "escalated"})).json()
    assert [item["id"] for item in office["items"]] == [case["id"]]
    escalated = office["items"][0]
    assert escalated["escalation_level"] == 2 and escalated["timeline"][-1]["actor_role"] == "system"
    assert "人大办" in escalated["timeline"][-1]["reason"]  # the office, in the caller's language (Chinese)
    assert len(await town.outbox("case.case.escalated.v1")) == 1

    body = {"deputy_ids": [town.deputy_id], "note": "请就近办理"}
    dispatched = await town.act(case["id"], "dispatch", town.office(), body)
    assert dispatched["status"] == "assigned" and dispatched["assigned_deputy_ids"] == [town.deputy_id]


async def test_the_seeded_2026_calendar_is_the_state_councils(town):
    answer = await town.client.get("/holidays", params={"year": 2026, "limit": 200})
    seeded = {item["day"]: item["working"] for item in answer.json()["items"]}

    def days(first: date, last: date) -> list[str]:
        return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]

    off = [
        *days(date(2026, 1, 1), date(2026, 1, 3)),
        *days(date(2026, 2, 15), date(2026, 2, 23)),
        *days(date(2026, 4, 4), date(2026, 4, 6)),
        *days(date(2026, 5, 1), date(2026, 5, 5)),
        *days(date(2026, 6, 19), date(2026, 6, 21)),
        *days(date(2026, 9, 25), date(2026, 9, 27)),
        *days(date(2026, 10, 1), date(2026, 10, 7)),
    ]
    working = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    assert seeded == {**dict.fromkeys(off, False), **dict.fromkeys(working, True)}


async def _known(town, grid_id: str) -> bool:  # type: ignore[no-untyped-def]
    from services.case_intake.models import KnownGrid

    async with town.case_intake.runtime.maker() as session:
        return await session.get(KnownGrid, grid_id) is not None
