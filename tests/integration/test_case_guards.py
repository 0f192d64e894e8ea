"""What a stranger can no longer do by sending the right request: file through the Open311 channel without an
integrator's key, pile up anonymous "me too"s, or read a villager's words or a tracking code in an event."""

import json
import uuid
from contextlib import AsyncExitStack

import nats
import pytest
from sqlalchemy import func, select

from services.case_intake.models import Case
from shared.auth import Role
from tests.integration.city import build_town
from tests.support import eventually

NAME, PHONE = "王秀英", "13812345678"


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def count_cases(town) -> int:  # type: ignore[no-untyped-def]
    async with town.case_intake.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(Case))).scalar_one()


async def test_only_an_integrator_files_through_the_open311_channel(town):
    body = {"kind": "request", "category": "water", "description": "水管爆了", "grid_id": town.group_id}
    for headers in ({}, town.villager(), town.staff(), town.deputy(), town.keys.headers(Role.finance)):
        refused = await town.client.post("/cases", json={**body, "channel": "open311"}, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert await count_cases(town) == 0
    integrator = town.keys.headers(subject=f"apikey:{uuid.uuid4()}")  # what the gateway's Open311 route signs
    filed = await town.client.post("/cases", json={**body, "channel": "open311"}, headers=integrator)
    assert filed.status_code == 201 and filed.json()["channel"] == "open311"
    assert (await town.client.post("/cases", json=body)).status_code == 201  # the app's own channel, anonymous
    assert await count_cases(town) == 2


async def test_me_too_is_once_per_account_and_device_and_a_few_an_hour_without_an_account(town):
    case = await town.file(town.villager("villager-1"))
    device = {"X-Device-Key": "phone-" + uuid.uuid4().hex}
    assert (await town.client.post(f"/cases/{case['id']}/support", headers=device)).status_code == 201
    twice = await town.client.post(f"/cases/{case['id']}/support", headers=device)
    assert twice.status_code == 409
    for _ in range(4):  # the default CASE_ANONYMOUS_SUPPORTS_PER_HOUR is 5
        assert (await town.client.post(f"/cases/{case['id']}/support")).status_code == 201
    for headers in ({}, {"X-Device-Key": "phone-" + uuid.uuid4().hex}):
        limited = await town.client.post(f"/cases/{case['id']}/support", headers=headers)
        assert limited.status_code == 429 and limited.headers["content-type"] == "application/problem+json"
        assert 3000 < int(limited.headers["retry-after"]) <= 3600
    signed_in = await town.client.post(f"/cases/{case['id']}/support", headers=town.villager("villager-2"))
    assert signed_in.status_code == 201 and signed_in.json()["supporters"] == 6
    other = await town.file(town.villager("villager-3"))
    assert (await town.client.post(f"/cases/{other['id']}/support")).status_code == 201  # a limit per case


async def test_events_carry_no_villagers_words_and_no_tracking_code_in_their_text(town):
    description = f"我是{NAME}，住在村东头，电话{PHONE}"
    kept = await town.file(town.villager("villager-1"), description=description, contact_name=NAME)
    duplicate = await town.file(town.villager("villager-2"), description=description)
    await town.act(kept["id"], "accept", town.deputy(), {"note": f"已联系{NAME}"})
    await town.act(kept["id"], "resolve", town.deputy(), {"resolution": f"已为{NAME}家修好"})
    await town.act(kept["id"], "reopen", town.villager("villager-1"), {"reason": f"{NAME}家还是没水"})
    await town.act(duplicate["id"], "merge", town.office(), {"into_case_id": kept["id"]})

    events = await town.outbox()
    for event in events:
        text = str({key: value for key, value in event["data"].items() if key != "tracking_code"})
        assert NAME not in text and "村东头" not in text, event
        assert kept["tracking_code"] not in text and duplicate["tracking_code"] not in text, event
    submitted = [event["data"] for event in events if event["type"] == "case.case.submitted.v2"]
    assert [data["case_id"] for data in submitted] == [kept["id"], duplicate["id"]]
    assert "summary" not in submitted[0] and submitted[0]["public"] is True
    notes = {event["type"]: event["data"]["note"] for event in events if "note" in event["data"]}
    assert notes["case.case.resolved.v1"] == "Resolved"
    assert notes["case.case.merged.v1"] == "Merged into another case about the same matter; supporters moved there"

    private = await town.file(town.villager("villager-3"), description=description, public=False)
    mine = [event for event in await town.outbox() if event["data"].get("case_id") == private["id"]]
    assert [event["type"] for event in mine] == ["case.case.submitted.v2"]
    assert mine[0]["data"]["public"] is False and NAME not in str(mine)

    town.case_intake.runtime.policy.publish_v1_events = True  # CASE_PUBLISH_V1_EVENTS: for an integrator on v1
    legacy = await town.file(town.villager("villager-4"), description=description)
    mine = [event for event in await town.outbox() if event["data"].get("case_id") == legacy["id"]]
    assert [event["type"] for event in mine] == ["case.case.submitted.v1", "case.case.submitted.v2"]


async def test_a_filing_is_published_once_as_v2_and_carries_none_of_the_villagers_words(town):
    """What reaches NATS by default: one case.case.submitted event (v2) for a filing, and no part of what the
    villager wrote anywhere in it, headers included (v1's `summary` held the start of it)."""
    description = f"村东头{NAME}家的水渠堵了三天，电话{PHONE}"
    connection = await nats.connect(town.nats_url)
    published: list[tuple[str, str]] = []

    async def collect(message) -> None:  # type: ignore[no-untyped-def]
        event = json.dumps(json.loads(message.data), ensure_ascii=False)  # any \u escapes read as the words
        published.append((message.subject, event + json.dumps(message.headers, ensure_ascii=False)))

    try:
        await connection.subscribe("case.case.submitted.>", cb=collect)
        await connection.flush()
        case = await town.file(town.villager("villager-1"), description=description)

        async def arrived() -> bool:
            return any(subject == "case.case.submitted.v2" and case["id"] in text for subject, text in published)

        await eventually(arrived)
    finally:
        await connection.close()
    mine = [(subject, text) for subject, text in published if case["id"] in text]
    assert [subject for subject, _ in mine] == ["case.case.submitted.v2"]  # a v1 is relayed before its v2
    for words in (description, description[:6], "水渠堵了", NAME, PHONE):
        assert words not in mine[0][1], words
