"""The office erases a villager on request (PIPL): the gateway forgets the account, tells every service once on
the bus, and keeps the phone number nowhere — not in its tables, not in its outbox, not on the stream once the
services have it. Only the office may, and never an official's account."""

import json

import nats
import pytest

from shared.auth import Role
from tests.integration.test_gateway_harness import (
    add_official,
    bearer,
    gateway_settings,
    idempotency_key,
    login,
    migrated_app,
    running,
)
from tests.support import eventually, found_in, text_dump

PHONE = "13912345678"


@pytest.fixture
async def gateway(nats_server, databases, keys):
    app = await migrated_app(gateway_settings(databases, nats_server.url, keys))
    async with running(app) as http:
        await add_official(app, "office", Role.npc_office)
        office = bearer((await login(http, "office")).json()["access_token"])
        yield app, http, office


async def _villager(http, phone=PHONE) -> dict:
    assert (await http.post("/api/auth/otp/request", json={"phone": phone})).status_code == 202
    code = (await http.get("/api/auth/dev/otp", params={"phone": phone})).json()["code"]
    answer = await http.post("/api/auth/otp/verify", json={"phone": phone, "code": code})
    assert answer.status_code == 200, answer.text
    me = await http.get("/api/auth/me", headers=bearer(answer.json()["access_token"]))
    return {**answer.json(), "subject": me.json()["subject"]}


async def _identity_consumer(nats_server):
    """A consumer of the IDENTITY stream, as a service has one (made before the erasure, as services' are)."""
    connection = await nats.connect(nats_server.url)
    stream = connection.jetstream()

    async def stream_made():
        return await stream.stream_info("IDENTITY")

    await eventually(stream_made)
    return connection, stream, await stream.pull_subscribe("identity.>", durable="probe", stream="IDENTITY")


async def test_the_office_erases_a_villager_and_the_number_is_kept_nowhere(gateway, nats_server):
    app, http, office = gateway
    villager = await _villager(http)
    connection, stream, consumer = await _identity_consumer(nats_server)
    try:
        # the villager asks for a new code and does not use it: that code's row holds the number too
        assert (await http.post("/api/auth/otp/request", json={"phone": PHONE})).status_code in (202, 429)
        body = {"phone": "+86 139-1234-5678", "reason": "本人书面申请删除（2026-12-03）"}
        key = {**office, "Idempotency-Key": idempotency_key()}
        erased = await http.post("/api/admin/erasures", json=body, headers=key)
        assert erased.status_code == 201, erased.text
        assert erased.json()["account_id"] == villager["subject"] and erased.json()["phone_given"] is True
        assert PHONE not in erased.text
        again = await http.post("/api/admin/erasures", json=body, headers=key)
        assert again.json()["id"] == erased.json()["id"]  # one erasure per key

        # every service hears of it once, with the number to look for
        [message] = await consumer.fetch(1, timeout=10)
        event = json.loads(message.data)
        assert event["type"] == "identity.person.erased.v1"
        assert event["data"]["phone"] == PHONE and event["data"]["account_id"] == villager["subject"]
        await message.ack()

        async def gone_from_the_stream():
            return (await stream.stream_info("IDENTITY")).state.messages == 0

        await eventually(gone_from_the_stream)

        async def announced():
            listed = (await http.get("/api/admin/erasures", headers=office)).json()
            return listed["total"] == 1 and listed["items"][0]["announced"] is True

        await eventually(announced)
        assert found_in(await text_dump(app.state.gateway.engine), PHONE) == []
    finally:
        await connection.close()

    # signed out everywhere; the same number signs in afresh as a new, unrelated account
    refreshed = await http.post("/api/auth/refresh", json={"refresh_token": villager["refresh_token"]})
    assert refreshed.status_code == 401
    assert (await _villager(http))["subject"] != villager["subject"]
    audit = (await http.get("/api/admin/audit", params={"action": "person.erased"}, headers=office)).json()
    assert audit["total"] == 1 and PHONE not in json.dumps(audit)


async def test_only_the_office_erases_and_never_an_official(gateway, keys):
    app, http, office = gateway
    villager = await _villager(http)
    staff_id = await add_official(app, "staff", Role.station_staff)
    staff = bearer((await login(http, "staff")).json()["access_token"])
    body = {"account_id": villager["subject"], "reason": "request"}
    assert (await http.post("/api/admin/erasures", json=body)).status_code == 401
    assert (await http.post("/api/admin/erasures", json=body, headers=staff)).status_code == 403
    assert (
        await http.post("/api/admin/erasures", json=body, headers=bearer(villager["access_token"]))
    ).status_code == 403
    official = await http.post("/api/admin/erasures", json={"account_id": staff_id, "reason": "x"}, headers=office)
    assert official.status_code == 422 and official.headers["content-type"].startswith("application/problem+json")
    unknown = {"account_id": "5f0e3c1a-3d0b-4b8e-9b7e-1f2a3b4c5d6e", "reason": "x"}
    assert (await http.post("/api/admin/erasures", json=unknown, headers=office)).status_code == 404
    assert (await http.post("/api/admin/erasures", json={"reason": "x"}, headers=office)).status_code == 422
    other = {"account_id": villager["subject"], "phone": "13700000000", "reason": "x"}
    assert (await http.post("/api/admin/erasures", json=other, headers=office)).status_code == 422
    # refused requests erased nothing: the villager still refreshes
    assert (await http.post("/api/auth/refresh", json={"refresh_token": villager["refresh_token"]})).status_code == 200
    assert (await http.get("/api/admin/erasures", headers=office)).json()["total"] == 0
