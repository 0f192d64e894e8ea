"""Tracking codes from the side of someone guessing them: 60 random bits read aloud in Crockford's base32, found
however they are typed, the old codes still working, one 404 for an unknown and a malformed code, each failed
look-up counted where the operator reads it; and the anonymous filer's key checked before any replay."""

import re
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import update

from services.case_intake.models import Case
from tests.integration.city import build_town
from tests.integration.test_case_readers import with_photo

NEW_CODE = re.compile(r"^SS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def counters(town) -> dict[str, int]:  # type: ignore[no-untyped-def]
    answer = await town.client.get("/readyz")
    return answer.json()["counters"]


async def test_a_new_code_is_unguessable_and_found_however_it_is_read_back(town):
    case = await with_photo(town, {})
    code = case["tracking_code"]
    assert NEW_CODE.match(code), code
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    for variant in (code, code.lower(), typed, code.removeprefix("SS-").replace("-", "")):
        found = await town.client.get(f"/cases/track/{variant}")
        assert found.status_code == 200 and found.json()["id"] == case["id"], variant
        photo = await town.client.get(
            case["photos"][0]["url"].removeprefix("/api/case-intake"), params={"tracking_code": variant}
        )
        assert photo.status_code == 200, variant
    withdrawn = await town.client.post(
        f"/cases/track/{typed}/withdraw", headers={"X-Filer-Key": case["filer_key"]}, json={}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


async def test_an_old_code_keeps_working(town):
    case = await with_photo(town, {})
    async with town.case_intake.runtime.maker() as session, session.begin():
        await session.execute(update(Case).where(Case.id == case["id"]).values(tracking_code="SS-2611-48213"))
    assert (await town.client.get("/cases/track/SS-2611-48213")).json()["id"] == case["id"]
    assert (await town.client.get("/cases/track/ss-26I1-482l3")).json()["id"] == case["id"]
    photo = case["photos"][0]["url"].removeprefix("/api/case-intake")
    assert (await town.client.get(photo, params={"tracking_code": "SS-2611-48213"})).status_code == 200
    confirm = await town.client.post(
        "/cases/track/SS-2611-48213/withdraw", headers={"X-Filer-Key": case["filer_key"]}, json={}
    )
    assert confirm.status_code == 200


async def test_unknown_and_malformed_codes_get_one_404_and_every_failure_is_counted(town):
    case = await with_photo(town, {})
    before = await counters(town)
    assert before == {"failed_code_lookups_track": 0, "failed_code_lookups_photo": 0}
    unknown = "SS-ZZZZ-ZZZZ-ZZZZ" if case["tracking_code"] != "SS-ZZZZ-ZZZZ-ZZZZ" else "SS-YYYY-YYYY-YYYY"
    answers = [
        await town.client.get(f"/cases/track/{guess}")
        for guess in (unknown, "SS-2611-00001", "SS-7KQ3-M9XD-2PWU", "DROP TABLE cases", "x" * 300, "SS-0000")
    ]
    for answer in answers:
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json() == answers[0].json()
    photo = case["photos"][0]["url"].removeprefix("/api/case-intake")
    for guess in (unknown, "not a code"):
        assert (await town.client.get(photo, params={"tracking_code": guess})).status_code == 404
    wrong_key = await town.client.post(f"/cases/track/{unknown}/withdraw", headers={"X-Filer-Key": "k" * 32}, json={})
    assert wrong_key.status_code == 404 and wrong_key.json() == answers[0].json()
    assert await counters(town) == {"failed_code_lookups_track": 7, "failed_code_lookups_photo": 2}


async def test_a_replayed_idempotency_key_answers_only_the_filer(town):
    case = await town.file(contact_phone="13812345678")
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "resolve", town.deputy(), {"resolution": "已修好"})
    path = f"/cases/track/{case['tracking_code']}/confirm"
    body = {"rating": "satisfied"}
    first = await town.client.post(
        path, json=body, headers={"X-Filer-Key": case["filer_key"], "Idempotency-Key": "confirm-offline-01"}
    )
    assert first.status_code == 200 and first.json()["contact_phone_masked"] == "138****5678"
    other = await town.file()
    for headers in ({}, {"X-Filer-Key": other["filer_key"]}, {"X-Filer-Key": "k" * 32}):
        replayed = await town.client.post(path, json=body, headers={**headers, "Idempotency-Key": "confirm-offline-01"})
        assert replayed.status_code == 403, replayed.text
        assert "138****5678" not in replayed.text and "Idempotent-Replayed" not in replayed.headers
    again = await town.client.post(
        path, json=body, headers={"X-Filer-Key": case["filer_key"], "Idempotency-Key": "confirm-offline-01"}
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
