"""Integrators get case events through the gateway, never the bus: signed webhooks (Standard Webhooks) to a
receiver on 127.0.0.1 that checks every signature, retried until the receiver answers, surviving a gateway
restart without loss; a resumable feed per API key; both within the key's scope and redacted like the public
views (no tracking code, name, phone or description)."""

import asyncio
import json
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from shared.auth import Role
from tests.integration.city import build_city, case_body
from tests.integration.test_gateway_harness import (
    EventStream,
    add_official,
    bearer,
    gateway_settings,
    idempotency_key,
    login,
    migrated_app,
    served,
)
from tests.support import eventually

SUBMITTED, ACCEPTED = "case.case.submitted.v2", "case.case.accepted.v1"
PRIVATE = "邻居张伟家的狗天天叫，我的电话13912345678"


class Receiver:
    """An integrator's endpoint: records what it is sent; answers 500 while `failing` > 0."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failing = 0
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            if self.failing > 0:
                self.failing -= 1
                return Response(status_code=500)
            return Response(status_code=204)

    def verified(self, secret: str) -> list[tuple[str, dict]]:
        """(webhook-id, body) of every request, each signature checked with the secret."""
        return [(headers["webhook-id"], Verifier(secret).verify(body, headers)) for headers, body in self.received]


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        intake = await stack.enter_async_context(served(city.case_intake.app, lifespan=False))
        receiver = Receiver()
        hook_url = await stack.enter_async_context(served(receiver.app)) + "/hook"
        settings = gateway_settings(
            databases,
            nats_server.url,
            keys,
            case_intake_url=intake,
            webhook_allow_loopback=True,
            webhook_retry_seconds=0.2,
            webhook_poll_seconds=0.1,
            filing_per_minute=1000,
        )
        app = await migrated_app(settings)
        village = (await city.grid.client.get(f"/grids/{city.group_id}")).json()["parent_id"]
        township = (await city.grid.client.get(f"/grids/{village}")).json()["parent_id"]
        yield city, settings, app, receiver, hook_url, township


@asynccontextmanager
async def gateway_running(app):  # type: ignore[no-untyped-def]
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=15) as http:
        yield http


async def _office(app, http) -> dict[str, str]:  # type: ignore[no-untyped-def]
    signed_in = await login(http, "office")
    if signed_in.status_code == 401:  # not made yet (a restarted gateway has it)
        await add_official(app, "office", Role.npc_office)
        signed_in = await login(http, "office")
    return bearer(signed_in.json()["access_token"])


async def _key(http, office, **scope) -> dict:  # type: ignore[no-untyped-def]
    answer = await http.post("/api/admin/api-keys", json={"name": "县数据平台", **scope}, headers=office)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _file(http, city) -> dict:  # type: ignore[no-untyped-def]
    answer = await http.post("/api/case-intake/cases", json=case_body(city, description=PRIVATE))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _assert_public_only(body: dict, filed: dict) -> None:
    text = json.dumps(body, ensure_ascii=False)
    assert filed["tracking_code"] not in text and "13912345678" not in text and "张伟" not in text
    assert set(body) == {"id", "type", "timestamp", "data"}
    assert set(body["data"]) == {"case_id", "grid_id", "township_id", "kind", "category", "status", "at"}


async def test_webhooks_are_signed_scoped_redacted_and_retried_with_a_stable_id(world):
    city, _, app, receiver, hook_url, township = world
    async with gateway_running(app) as http:
        office = await _office(app, http)
        key = await _key(http, office, event_types=[SUBMITTED, ACCEPTED], townships=[township])
        elsewhere = await _key(http, office, event_types=["*"], townships=[city.group_id])  # no such township
        hook = await http.post(f"/api/admin/api-keys/{key['id']}/webhooks", json={"url": hook_url}, headers=office)
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        assert (
            secret.startswith("whsec_") and "secret" not in (await http.get("/api/admin/webhooks", headers=office)).text
        )
        other = await http.post(
            f"/api/admin/api-keys/{elsewhere['id']}/webhooks", json={"url": hook_url}, headers=office
        )
        other_secret = other.json()["secret"]

        receiver.failing = 2
        filed = await _file(http, city)
        await eventually(lambda: _delivered(receiver, 3), timeout=20)
        attempts = receiver.verified(secret)
        assert len({message_id for message_id, _ in attempts}) == 1  # one delivery, the same webhook-id each time
        body = attempts[-1][1]
        assert body["type"] == SUBMITTED and body["data"]["case_id"] == filed["id"]
        assert body["data"]["township_id"] == township and body["data"]["grid_id"] == city.group_id
        assert body["data"]["status"] == "assigned" and body["data"]["kind"] == "request"
        _assert_public_only(body, filed)
        for headers, raw in receiver.received:  # nothing was signed with the other key's webhook secret
            with pytest.raises(WebhookVerificationError):
                Verifier(other_secret).verify(raw, headers)

        accept = await city.case_intake.client.post(
            f"/cases/{filed['id']}/accept",
            json={},
            headers={**city.deputy_headers, "Idempotency-Key": idempotency_key()},
        )
        assert accept.status_code == 200, accept.text
        await eventually(lambda: _delivered(receiver, 4), timeout=20)
        assert receiver.verified(secret)[-1][1]["type"] == ACCEPTED

        log = (await http.get("/api/admin/webhook-deliveries", headers=office)).json()
        assert [(item["event_type"], item["status"], item["attempts"]) for item in log["items"]] == [
            (ACCEPTED, "delivered", 1),
            (SUBMITTED, "delivered", 3),
        ]
        assert log["items"][1]["id"] == attempts[0][0]
        await add_official(app, "staff", Role.station_staff)
        staff = bearer((await login(http, "staff")).json()["access_token"])
        assert (await http.get("/api/admin/webhook-deliveries")).status_code == 401
        assert (await http.get("/api/admin/webhook-deliveries", headers=staff)).status_code == 403


async def _delivered(receiver: Receiver, count: int) -> bool:
    return len(receiver.received) >= count


async def test_deliveries_wait_out_a_gateway_restart_and_arrive_once_each(world):
    city, settings, app, receiver, hook_url, township = world
    async with gateway_running(app) as http:
        office = await _office(app, http)
        key = await _key(http, office, event_types=[SUBMITTED])
        await http.post(f"/api/admin/api-keys/{key['id']}/webhooks", json={"url": hook_url}, headers=office)
        secret_page = (await http.get("/api/admin/webhooks", headers=office)).json()
        assert secret_page["total"] == 1
    # the gateway is down while three cases are filed straight at case intake: their events wait on the bus
    filed = []
    for _ in range(3):
        answer = await city.case_intake.client.post("/cases", json=case_body(city, description=PRIVATE))
        assert answer.status_code == 201
        filed.append(answer.json()["id"])
    receiver.failing = 1  # and the receiver fails once after the restart
    restarted = await migrated_app(settings)
    async with gateway_running(restarted) as http:
        await eventually(lambda: _ids_delivered(receiver, restarted, 3), timeout=30)
        await asyncio.sleep(1)  # nothing more comes
        office = await _office(restarted, http)
        hooks = (await http.get("/api/admin/webhooks", headers=office)).json()["items"]
        log = (await http.get("/api/admin/webhook-deliveries", headers=office)).json()
    received_cases = {json.loads(body)["data"]["case_id"] for _, body in receiver.received}
    assert received_cases == set(filed)
    assert log["total"] == 3 and {item["status"] for item in log["items"]} == {"delivered"}
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(set(ids)) == 3 and len(ids) == 4  # one retried (same id), none twice otherwise
    assert len(hooks) == 1


async def _ids_delivered(receiver: Receiver, app, count: int) -> bool:  # type: ignore[no-untyped-def]
    async with app.state.gateway.maker() as session:
        from sqlalchemy import func, select

        from gateway.models import WebhookDelivery

        query = select(func.count()).where(WebhookDelivery.status == "delivered")
        return (await session.execute(query)).scalar_one() >= count


async def test_the_feed_resumes_from_the_last_event_id_within_the_keys_scope(world):
    city, _, app, _, _, township = world
    async with gateway_running(app) as http:
        office = await _office(app, http)
        key = (await _key(http, office, event_types=["*"], townships=[township]))["key"]
        outside = (await _key(http, office, event_types=["*"], townships=[city.group_id]))["key"]
        no_events = (await _key(http, office))["key"]
        feed = "/api/integrations/events"
        assert (await http.get(feed)).status_code == 401
        assert (
            await http.get("/api/integrations/events", headers={"X-Api-Key": "o311_" + "x" * 40})
        ).status_code == 401
        refused = await http.get("/api/integrations/events", headers={"X-Api-Key": no_events})
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert (
            await http.get("/api/integrations/events", headers={"X-Api-Key": key, "Last-Event-ID": "x"})
        ).status_code == 422

        async with (
            EventStream(http, feed, headers={"X-Api-Key": key}) as stream,
            EventStream(http, feed, headers={"X-Api-Key": outside}) as other,
        ):
            first = await _file(http, city)
            event, body = await stream.next(timeout=15)
            assert event == SUBMITTED and body["data"]["case_id"] == first["id"]
            _assert_public_only(body, first)
            with pytest.raises(TimeoutError):
                await other.next(timeout=1.5)
        async with app.state.gateway.maker() as session:
            from sqlalchemy import func, select

            from gateway.models import IntegrationEvent

            cursor = (await session.execute(select(func.max(IntegrationEvent.seq)))).scalar_one()
        second = await _file(http, city)  # filed while the integrator was away
        await asyncio.sleep(1)
        async with EventStream(http, feed, headers={"X-Api-Key": key, "Last-Event-ID": str(cursor)}) as resumed:
            event, body = await resumed.next(timeout=15)
            assert event == SUBMITTED and body["data"]["case_id"] == second["id"]  # not the first again
        async with EventStream(
            http, "/api/integrations/events", params={"after": 0}, headers={"X-Api-Key": key}
        ) as replay:
            seen = [(await replay.next(timeout=5))[1]["data"]["case_id"] for _ in range(2)]
            assert seen == [first["id"], second["id"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "https://10.0.0.8/hook",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "https://user:pass@example.com/hook",
        "ftp://example.com/x",
        "not a url",
    ],
)
async def test_webhook_targets_must_be_public_https(nats_server, databases, keys, url):
    app = await migrated_app(gateway_settings(databases, nats_server.url, keys))
    async with gateway_running(app) as http:
        office = await _office(app, http)
        key = await _key(http, office, event_types=["*"])
        answer = await http.post(f"/api/admin/api-keys/{key['id']}/webhooks", json={"url": url}, headers=office)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        assert (await http.get("/api/admin/webhooks", headers=office)).json()["total"] == 0
