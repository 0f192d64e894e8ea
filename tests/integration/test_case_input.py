"""Creates are idempotent and bad input changes nothing."""

import asyncio
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select

from services.case_intake.models import Case
from tests.integration.city import build_town, case_body

PROBLEM = "application/problem+json"


async def case_count(city) -> int:
    async with city.case_intake.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(Case))).scalar_one()


@pytest.fixture
async def city(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)  # the case service alone, fed grid events


async def test_the_same_idempotency_key_twice_gives_one_case_and_the_same_answer(city):
    headers = {"Idempotency-Key": "offline-queue-0001"}
    first = await city.case_intake.client.post("/cases", json=case_body(city), headers=headers)
    again = await city.case_intake.client.post("/cases", json=case_body(city), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await case_count(city) == 1


async def test_another_body_under_a_used_key_is_refused(city):
    headers = {"Idempotency-Key": "offline-queue-0002"}
    await city.case_intake.client.post("/cases", json=case_body(city), headers=headers)
    answer = await city.case_intake.client.post("/cases", json=case_body(city, category="roads"), headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert await case_count(city) == 1


async def test_concurrent_requests_with_one_key_make_one_case(city):
    headers = {"Idempotency-Key": "offline-queue-0003"}
    answers = await asyncio.gather(
        *[city.case_intake.client.post("/cases", json=case_body(city), headers=headers) for _ in range(5)]
    )
    assert {answer.status_code for answer in answers} <= {201, 409}
    assert len({answer.json()["id"] for answer in answers if answer.status_code == 201}) == 1
    assert await case_count(city) == 1


BAD_BODIES = {
    "empty body": None,
    "not an object": [],
    "wrong types": {"kind": 3, "category": ["water"], "description": {}, "grid_id": 7},
    "1 MB description": "huge",
    "NUL character": "nul",
    "unknown grid": "unknown-grid",
    "unknown field": "extra",
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_input_gets_a_problem_and_stores_nothing(city, case):
    body = BAD_BODIES[case]
    if body == "huge":
        body = case_body(city, description="水" * 1_000_000)
    elif body == "nul":
        body = case_body(city, description="water\x00fee")
    elif body == "unknown-grid":
        body = case_body(city, grid_id="00000000-0000-4000-8000-000000000000")
    elif body == "extra":
        body = case_body(city, is_admin=True)
    if body is None:
        answer = await city.case_intake.client.post("/cases", content=b"", headers={"content-type": "application/json"})
    else:
        answer = await city.case_intake.client.post("/cases", json=body)
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["status"] == answer.status_code and problem["type"].startswith("https://")
    assert await case_count(city) == 0


async def test_a_villager_cannot_read_another_villagers_case(city, keys):
    from shared.auth import Role

    owner = keys.headers(Role.villager, subject="villager-1")
    case = (await city.case_intake.client.post("/cases", json=case_body(city), headers=owner)).json()
    assert (await city.case_intake.client.get(f"/cases/{case['id']}", headers=owner)).status_code == 200
    other = keys.headers(Role.villager, subject="villager-2")
    answer = await city.case_intake.client.get(f"/cases/{case['id']}", headers=other)
    assert answer.status_code == 403
    assert (await city.case_intake.client.get(f"/cases/{case['id']}")).status_code == 401
