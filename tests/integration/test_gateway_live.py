"""Live updates: case events from NATS reach the open streams of those who may see them, within a second."""

import json
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import httpx
import nats
import pytest

from shared.auth import Role
from shared.messaging.catalogue import CaseAccepted, CaseSubmitted, CaseSubmittedV2, envelope
from tests.integration.city import build_city, case_body
from tests.integration.test_gateway_harness import EventStream, gateway_settings, migrated_app, served
from tests.support import eventually


def _submitted(deputy_ids: list[str]) -> CaseSubmittedV2:
    now = datetime.now(UTC)
    return CaseSubmittedV2(
        case_id=str(uuid.uuid4()),
        tracking_code="SS-2611-00042",
        grid_id=str(uuid.uuid4()),
        kind="request",
        category="water",
        channel="pwa",
        public=True,
        submitted_at=now,
        accept_due_at=now,
        assigned_deputy_ids=deputy_ids,
    )


def _v1_of(filing: CaseSubmittedV2, summary: str = "张三家门口的水管漏了") -> CaseSubmitted:
    """The v1 case intake publishes beside the v2 while CASE_PUBLISH_V1_EVENTS is on: the villager's words too."""
    return CaseSubmitted(**filing.model_dump(exclude={"public"}), summary=summary)


async def _publish(nats_url: str, *payloads) -> None:
    connection = await nats.connect(nats_url)
    try:
        for payload in payloads:
            event = envelope("/case-intake", payload, payload.case_id)
            await connection.publish(payload.event_type, event.model_dump_json().encode())
        await connection.flush()
    finally:
        await connection.close()


@pytest.fixture
async def gateway(nats_server, databases, keys):
    app = await migrated_app(gateway_settings(databases, nats_server.url, keys, live_heartbeat_seconds=0.5))
    async with served(app) as url, httpx.AsyncClient(base_url=url) as http:
        await eventually(lambda: _ready(app))
        yield http


async def _ready(app) -> bool:
    return app.state.hub.ready.is_set()


async def test_a_deputy_sees_only_the_cases_routed_to_them_within_a_second(gateway, nats_server, keys):
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    deputy = keys.headers(Role.deputy, deputy_id=mine)
    office = keys.token(Role.npc_office)
    async with (
        EventStream(gateway, "/api/live", headers=deputy) as deputy_stream,
        EventStream(gateway, "/api/live", params={"access_token": office}) as office_stream,
    ):
        assert deputy_stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in deputy_stream.headers
        other, routed = _submitted([theirs]), _submitted([mine])
        started = time.monotonic()
        await _publish(nats_server.url, other, routed)
        event, data = await deputy_stream.next(timeout=1.0)
        assert time.monotonic() - started < 1.0
        assert event == "case" and data["case_id"] == routed.case_id and data["status"] == "assigned"
        assert "张三" not in json.dumps(data, ensure_ascii=False) and mine not in json.dumps(data)
        seen = {(await office_stream.next(1.0))[1]["case_id"] for _ in range(2)}
        assert seen == {other.case_id, routed.case_id}
        with pytest.raises(TimeoutError):  # nothing else for the deputy: only keep-alive comments
            await deputy_stream.next(timeout=1.5)


async def test_a_filing_published_as_v1_and_v2_is_news_once_and_without_the_villagers_words(gateway, nats_server, keys):
    """With CASE_PUBLISH_V1_EVENTS turned back on, each filing is on NATS twice: the stream reads only the v2."""
    mine = str(uuid.uuid4())
    async with EventStream(gateway, "/api/live", headers=keys.headers(Role.deputy, deputy_id=mine)) as stream:
        filing = _submitted([mine])
        await _publish(nats_server.url, _v1_of(filing), filing)
        event, data = await stream.next(timeout=1.0)
        assert (event, data["case_id"], data["type"]) == ("case", filing.case_id, CaseSubmittedV2.event_type)
        assert "张三" not in json.dumps(data, ensure_ascii=False)
        with pytest.raises(TimeoutError):  # the v1 of the same filing is not a second update
            await stream.next(timeout=1.5)


async def test_streams_need_a_valid_token_or_tracking_codes(gateway, keys):
    assert (await gateway.get("/api/live")).status_code == 401
    bad = await gateway.get("/api/live", params={"access_token": keys.token(Role.deputy) + "x"})
    assert bad.status_code == 401 and bad.headers["content-type"] == "application/problem+json"
    for odd in ({"track": "DROP TABLE"}, {"track": "SS-2611-00001", "case": "../cases"}):
        refused = await gateway.get("/api/live", params=odd)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


async def test_a_villager_follows_their_own_case_and_a_deputy_gets_a_new_one_filed_through_the_gateway(
    nats_server, databases, keys
):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        intake_url = await stack.enter_async_context(served(city.case_intake.app, lifespan=False))
        settings = gateway_settings(databases, nats_server.url, keys, case_intake_url=intake_url)
        app = await migrated_app(settings)
        url = await stack.enter_async_context(served(app))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
        await eventually(lambda: _ready(app))

        villager, neighbour = str(uuid.uuid4()), str(uuid.uuid4())
        villager_headers = keys.headers(Role.villager, subject=villager)
        filed = await http.post("/api/case-intake/cases", json=case_body(city), headers=villager_headers)
        assert filed.status_code == 201, filed.text
        case = filed.json()

        async with (
            EventStream(http, "/api/live", headers=villager_headers) as own,
            EventStream(http, "/api/live", headers=keys.headers(Role.villager, subject=neighbour)) as other,
            EventStream(http, "/api/live", params={"track": case["tracking_code"]}) as anonymous,
            EventStream(http, "/api/live", headers=city.deputy_headers) as deputy,
        ):
            started = time.monotonic()
            second = await http.post("/api/case-intake/cases", json=case_body(city), headers=villager_headers)
            event, data = await deputy.next(timeout=1.5)
            assert event == "case" and data["case_id"] == second.json()["id"]
            assert time.monotonic() - started < 1.5

            accepted = CaseAccepted(
                case_id=case["id"],
                tracking_code=case["tracking_code"],
                grid_id=case["grid_id"],
                kind=case["kind"],
                category=case["category"],
                from_status="assigned",
                to_status="accepted",
                deputy_ids=[city.deputy_id],
                at=datetime.now(UTC),
            )
            await _publish(nats_server.url, accepted)
            for stream in (own, anonymous):
                event, data = await stream.next(timeout=1.0)
                assert (event, data["case_id"], data["status"]) == ("case", case["id"], "accepted")
            with pytest.raises(TimeoutError):
                while True:
                    event, _ = await other.next(timeout=1.0)
                    assert event != "case", "a neighbour saw someone else's case"
