"""Guessing tracking codes from outside, through the gateway to a real case intake: a stranger gets 429 (with
Retry-After, problem+json) long before 120 guesses, codes that name no case count more, photo reads and live
streams by code count too — and a villager following their own case is not in the way of any of it."""

import uuid
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.integration.city import build_city, case_body
from tests.integration.test_gateway_harness import client_from, gateway_settings, migrated_app, served


@pytest.fixture
async def city_gateway(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        intake = await stack.enter_async_context(served(city.case_intake.app, lifespan=False))
        app = await migrated_app(gateway_settings(databases, nats_server.url, keys, case_intake_url=intake))
        url = await stack.enter_async_context(served(app, proxy_headers=False))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
        filed = await http.post("/api/case-intake/cases", json=case_body(city))
        assert filed.status_code == 201, filed.text
        yield app, http, filed.json()["tracking_code"]


def _guess(index: int) -> str:
    return f"SS-2612-{index:05d}"


async def test_a_stranger_guessing_codes_gets_429_long_before_120(city_gateway):
    app, http, code = city_gateway
    statuses = []
    for index in range(120):
        answer = await http.get(f"/api/case-intake/cases/track/{_guess(index)}", headers={"X-Forwarded-For": "6.6.6.6"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses == [404] * 20 + [429]  # 20 codes that name no case an hour (TRACKING_FAILURES_PER_HOUR)
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 60
    # the right code, photos by code and live streams by code are all refused to that address now
    assert (await http.get(f"/api/case-intake/cases/track/{code}")).status_code == 429
    photo = f"/api/case-intake/photos/{uuid.uuid4()}/thumbnail"
    assert (await http.get(photo, params={"tracking_code": code})).status_code == 429
    voice = f"/api/case-intake/recordings/{uuid.uuid4()}"
    assert (await http.get(voice, params={"tracking_code": code})).status_code == 429
    assert (await http.get("/api/live", params={"track": code})).status_code == 429
    # another address follows its case as before
    async with client_from(app, "10.20.0.1") as villager:
        found = await villager.get(f"/api/case-intake/cases/track/{code}")
        assert found.status_code == 200 and found.json()["tracking_code"] == code


async def test_every_look_up_by_code_counts_and_misses_count_wherever_they_are_made(city_gateway):
    app, guesser, code = city_gateway
    # over real HTTP from 127.0.0.1 (live streams do not end by themselves)
    for index in range(10):  # photo and voice-note reads by code: one no case has is a miss
        photo = f"/api/case-intake/{'photos' if index % 2 else 'recordings'}/{uuid.uuid4()}"
        assert (await guesser.get(photo, params={"tracking_code": _guess(index)})).status_code == 404
    for index in range(10, 20):  # codes to follow live: a code that names no case is a miss
        async with guesser.stream("GET", "/api/live", params={"track": _guess(index)}) as stream:
            assert stream.status_code == 200
    refused = await guesser.get(f"/api/case-intake/cases/track/{_guess(99)}")
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    async with client_from(app, "10.20.0.3") as follower:  # 30 lookups a minute, found or not
        statuses = [(await follower.get(f"/api/case-intake/cases/track/{code}")).status_code for _ in range(31)]
        assert statuses == [200] * 30 + [429]
        assert int((await follower.get(f"/api/case-intake/cases/track/{code}")).headers["retry-after"]) <= 61
