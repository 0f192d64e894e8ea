"""The office's figures in one request (GET /statistics), computed by the database: counts by status, kind and
township, the rates the village board promises, the overdue and the median time to resolve; filtered by grid,
township and period; quick at 20,000 cases."""

import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from services.case_intake.models import Case, KnownGrid
from shared.clock import MovableClock
from shared.messaging.catalogue import GridCreated
from tests.integration.city import Town, build_town
from tests.support import eventually

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)  # 09:00 on Monday 2 March in Beijing
DAY = timedelta(days=1)


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        town = await build_town(stack, nats_server, databases, keys)
        town.case_intake.runtime.clock = MovableClock(T0 + 5 * DAY)
        yield town


async def _second_township(town: Town) -> tuple[str, str]:
    """Another township with a village and a group, as the grid service would announce them."""
    township, village, group = (str(uuid.uuid4()) for _ in range(3))
    await town.publish(
        GridCreated(grid_id=township, code="T10", name="清溪镇", level="township", parent_id=None),
        GridCreated(grid_id=village, code="T10V01", name="清溪村", level="village", parent_id=township),
        GridCreated(grid_id=group, code="T10V01G01", name="清溪村第1组", level="group", parent_id=village),
    )

    async def known() -> bool:
        async with town.case_intake.runtime.maker() as session:
            return (await session.get(KnownGrid, group)) is not None

    await eventually(known)
    return township, group


def _row(grid_id: str, status: str, submitted: datetime, **changes: object) -> dict:
    """A case row as the lifecycle leaves it (written directly: these tests are about counting)."""
    return {
        "id": str(uuid.uuid4()),
        "tracking_code": f"SS-TEST-{uuid.uuid4().hex[:10]}",
        "kind": "request",
        "category": "water",
        "description": "统计用的案件",
        "grid_id": grid_id,
        "channel": "pwa",
        "status": status,
        "submitted_at": submitted,
        "accept_due_at": submitted + DAY,
        "accepted_at": None,
        "resolved_at": None,
        "resolve_due_at": None,
        "due_kind": None,
        "rating": None,
        **changes,
    }


async def _insert(town: Town, rows: list[dict]) -> None:
    async with town.case_intake.runtime.maker() as session, session.begin():
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Case), rows[start : start + 2000])


async def _statistics(town: Town, headers: dict | None = None, **params: str):  # type: ignore[no-untyped-def]
    return await town.client.get("/statistics", params=params, headers=town.office() if headers is None else headers)


async def test_one_request_gives_the_counts_rates_overdue_and_median_of_the_city_and_each_township(town):
    other_township, other_group = await _second_township(town)
    here = town.group_id
    await _insert(
        town,
        [
            _row(here, "closed", T0, accepted_at=T0 + DAY / 2, resolved_at=T0 + 2 * DAY, rating="satisfied"),
            _row(here, "closed", T0, accepted_at=T0 + 2 * DAY, resolved_at=T0 + 4 * DAY, rating="unsatisfied"),
            _row(here, "resolved", T0, accepted_at=T0 + DAY / 4, resolved_at=T0 + 3 * DAY),
            _row(here, "assigned", T0, due_kind="accept"),  # late to accept: overdue, and not on time
            # filed at 00:00 on 7 March in Beijing (still 6 March in UTC), not due yet: outside the response rate
            _row(here, "assigned", T0 + 4 * DAY + 15 * timedelta(hours=1), due_kind="accept"),
            _row(here, "withdrawn", T0),
            _row(here, "rejected", T0),
            _row(
                here,
                "in_progress",
                T0,
                kind="suggestion",
                accepted_at=T0 + DAY / 2,
                due_kind="resolve",
                resolve_due_at=T0 + 4 * DAY,
            ),
            _row(
                other_group,
                "closed",
                T0,
                kind="dispute",
                accepted_at=T0 + DAY / 2,
                resolved_at=T0 + DAY,
                rating="basically_satisfied",
            ),
        ],
    )
    answer = await _statistics(town)
    assert answer.status_code == 200, answer.text
    city = answer.json()
    assert (city["cases"], city["open"], city["resolved"], city["rejected"]) == (7, 3, 4, 1)
    assert (city["overdue"], city["rated"]) == (2, 3)
    assert city["response_rate"] == round(4 / 6, 3)  # of the six due, four accepted in time
    assert city["resolution_rate"] == round(4 / 7, 3) and city["satisfaction_rate"] == round(2 / 3, 3)
    assert city["median_hours_to_resolve"] == 60.0  # 24, 48, 72 and 96 hours
    assert city["by_status"] == {
        **dict.fromkeys(city["by_status"], 0),
        "closed": 3,
        "resolved": 1,
        "assigned": 2,
        "in_progress": 1,
        "withdrawn": 1,
        "rejected": 1,
    }
    assert city["by_kind"] == {"request": 5, "suggestion": 1, "dispute": 1, "opinion": 0}
    townships = {row["grid_name"]: row for row in city["by_township"]}
    assert list(townships) == ["韶山乡", "清溪镇"]  # most cases first
    assert (townships["韶山乡"]["cases"], townships["韶山乡"]["resolved"], townships["韶山乡"]["overdue"]) == (6, 3, 2)
    assert townships["清溪镇"]["satisfaction_rate"] == 1.0 and townships["清溪镇"]["grid_id"] == other_township

    board = (await town.client.get(f"/board/{town.township_id}/stats")).json()
    mine = townships["韶山乡"]
    assert (board["cases"], board["resolved"], board["rejected"]) == (mine["cases"], mine["resolved"], 1)
    assert (board["response_rate"], board["resolution_rate"], board["satisfaction_rate"]) == (0.6, 0.5, 0.5)
    assert board["median_days_to_resolve"] == 3.0

    village = (await _statistics(town, grid_id=town.village_id)).json()
    assert village["cases"] == 6 and [row["grid_name"] for row in village["by_township"]] == ["韶山乡"]
    township = (await _statistics(town, township_id=other_township)).json()
    assert (township["cases"], township["grid_id"], township["median_hours_to_resolve"]) == (1, other_township, 24.0)
    seventh = (await _statistics(town, date_from="2026-03-07", date_to="2026-03-07")).json()
    assert seventh["by_status"]["assigned"] == 1 and seventh["cases"] == 1 and seventh["response_rate"] is None
    before = (await _statistics(town, date_to="2026-03-06")).json()
    assert before["cases"] == 6 and before["by_status"]["assigned"] == 1


async def test_only_the_office_and_staff_ask_and_a_wrong_filter_is_refused(town):
    assert (await _statistics(town, town.staff())).status_code == 200
    for caller, status in ((town.deputy(), 403), (town.villager(), 403), (town.officer(), 403), ({}, 401)):
        refused = await _statistics(town, caller)
        assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
    both = await _statistics(town, grid_id=town.group_id, township_id=town.township_id)
    backwards = await _statistics(town, date_from="2026-03-07", date_to="2026-03-01")
    not_a_township = await _statistics(town, township_id=town.village_id)
    for refused in (both, backwards, not_a_township):
        assert refused.status_code == 422
    assert (await _statistics(town, date_from="9999-12-31")).status_code == 422
    assert (await _statistics(town, grid_id="00000000-0000-4000-8000-000000000000")).status_code == 404
    empty = (await _statistics(town)).json()
    assert empty["cases"] == 0 and empty["response_rate"] is None and empty["median_hours_to_resolve"] is None
    assert [row["cases"] for row in empty["by_township"]] == [0]


STATUSES = ("assigned", "accepted", "in_progress", "resolved", "closed", "closed", "closed", "withdrawn", "rejected")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied", None)
CASES = 20_000
COUNTED = {"assigned", "accepted", "in_progress", "resolved", "closed"}


def _many(groups: list[str]) -> list[dict]:
    rows = []
    for number in range(CASES):
        status = STATUSES[number % len(STATUSES)]
        submitted = T0 - (number % 60) * DAY / 2
        done = status in ("resolved", "closed")
        rows.append(
            _row(
                groups[number % len(groups)],
                status,
                submitted,
                kind=("request", "dispute", "suggestion", "opinion")[number % 4],
                accepted_at=submitted + (number % 3) * DAY / 2 if status not in ("assigned", "withdrawn") else None,
                resolved_at=submitted + (number % 11 + 1) * timedelta(hours=7) if done else None,
                rating=RATINGS[number % 4] if status == "closed" else None,
                due_kind={"assigned": "accept", "accepted": "resolve", "in_progress": "resolve"}.get(status),
                resolve_due_at=submitted + (number % 9) * DAY,
            )
        )
    return rows


async def test_twenty_thousand_cases_are_counted_in_under_a_second(town):
    _, other_group = await _second_township(town)
    rows = _many([town.group_id, town.other_group_id, other_group])
    await _insert(town, rows)
    async with town.case_intake.runtime.maker() as session:
        assert len((await session.execute(select(Case.id))).all()) == CASES

    started = time.perf_counter()
    answer = await _statistics(town, date_from="2026-01-01", date_to="2026-03-31")
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    assert elapsed < 1.0, f"GET /statistics took {elapsed:.2f} s at {CASES} cases"
    started = time.perf_counter()
    group = await _statistics(town, grid_id=other_group)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"GET /statistics of one group took {elapsed:.2f} s at {CASES} cases"
    assert group.json()["cases"] == sum(1 for row in rows if row["grid_id"] == other_group and row["status"] in COUNTED)

    figures = answer.json()
    counted = [row for row in rows if row["status"] in COUNTED]
    rated = [row for row in counted if row["rating"]]
    assert sum(figures["by_status"].values()) == CASES and figures["cases"] == len(counted)
    assert figures["resolved"] == sum(1 for row in counted if row["resolved_at"])
    assert figures["satisfaction_rate"] == round(
        sum(1 for row in rated if row["rating"] != "unsatisfied") / len(rated), 3
    )
    assert sum(row["cases"] for row in figures["by_township"]) == figures["cases"]
