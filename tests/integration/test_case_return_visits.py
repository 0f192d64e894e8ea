"""Return visits (回访): staff record the answer of a villager who cannot use the app, and see which resolved
cases wait for one."""

from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import pytest

from shared.clock import CHINA, MovableClock
from tests.integration.city import build_town


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        town = await build_town(stack, nats_server, databases, keys)
        town.case_intake.runtime.clock = MovableClock(datetime(2026, 11, 23, 10, tzinfo=CHINA))  # a Monday
        yield town


async def resolved(town, headers, **changes) -> dict:  # type: ignore[no-untyped-def]
    case = await town.file(headers, **changes)
    await town.act(case["id"], "accept", town.deputy())
    return await town.act(case["id"], "resolve", town.deputy(), {"resolution": "已修好水管"})


async def due(town) -> list[str]:  # type: ignore[no-untyped-def]
    answer = await town.client.get("/return-visits/due", headers=town.staff(), params={"limit": 50})
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_a_phone_filers_case_is_due_at_once_and_a_visit_by_phone_closes_it_with_their_rating(town):
    case = await resolved(town, town.staff(), channel="phone", contact_phone="13812345678")
    assert await due(town) == [case["id"]]
    for headers in (town.villager(), town.deputy(), town.officer()):
        assert (await town.client.get("/return-visits/due", headers=headers)).status_code == 403

    body = {"outcome": "confirmed", "rating": "basically_satisfied", "comment": "水通了", "method": "phone"}
    closed = await town.act(case["id"], "return-visit", town.staff(), body)
    assert closed["status"] == "closed" and closed["rating"] == "basically_satisfied"
    step = closed["timeline"][-1]
    assert step["actor_role"] == "office" and step["action"] == "confirm"
    assert step["reason"].startswith("人大办电话回访") and "水通了" in step["reason"]
    assert (await town.outbox("case.case.closed.v1"))[-1]["data"]["rating"] == "basically_satisfied"
    assert await due(town) == []


async def test_an_app_filers_resolution_is_due_after_the_policy_days_and_a_visit_can_reopen_it(town):
    case = await resolved(town, town.villager())
    assert await due(town) == []
    town.case_intake.runtime.clock.current += timedelta(days=2)
    assert await due(town) == [case["id"]]

    body = {"outcome": "reopened", "comment": "还是没水", "method": "in_person"}
    reopened = await town.act(case["id"], "return-visit", town.office(), body)
    assert reopened["status"] == "reopened" and reopened["rating"] is None
    assert reopened["timeline"][-1]["reason"].startswith("人大办上门回访")
    assert await due(town) == []


async def test_a_return_visit_needs_staff_a_resolved_case_and_a_complete_answer(town):
    case = await resolved(town, town.villager())
    confirmed = {"outcome": "confirmed", "rating": "satisfied", "method": "phone"}
    for body in (
        {"outcome": "confirmed", "method": "phone"},
        {"outcome": "reopened", "method": "phone"},
        {"outcome": "reopened", "rating": "satisfied", "comment": "不行", "method": "phone"},
        {**confirmed, "method": "letter"},
    ):
        await town.act(case["id"], "return-visit", town.staff(), body, status=422)
    await town.act(case["id"], "return-visit", town.deputy(), confirmed, status=403)
    await town.act(case["id"], "return-visit", town.villager(), confirmed, status=403)
    open_case = await town.file(town.villager())
    await town.act(open_case["id"], "return-visit", town.staff(), confirmed, status=409)
    still = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert still["status"] == "resolved"
