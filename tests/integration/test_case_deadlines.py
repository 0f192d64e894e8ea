"""Deadlines in working days with a moved clock: reminders, 催办, escalation, late referrals, auto-closing."""

import asyncio
from contextlib import AsyncExitStack
from datetime import datetime

import pytest

from services.case_intake.deadlines import run_deadlines
from services.case_intake.workdays import CHINA
from shared.clock import MovableClock
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
