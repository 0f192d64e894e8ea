"""Sign-in through the gateway on a real database: one-time codes (texted by the development sender, or
Aliyun's adapter against a stand-in of its API), passwords and TOTP, tokens."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from aiohttp import web

from devstack.supervisor import free_port
from gateway.identity import totp
from gateway.models import AuditEntry
from shared.auth import Principal, Role, issue_token
from shared.clock import MovableClock
from shared.sms.aliyun import aliyun_signature
from tests.integration.test_gateway_harness import (
    add_official,
    bearer,
    client_from,
    gateway_settings,
    login,
    migrated_app,
    running,
)
from tests.support import ISSUER

PHONE = "13812345678"


@pytest.fixture
async def gateway(nats_server, databases, keys):
    app = await migrated_app(gateway_settings(databases, nats_server.url, keys))
    clock = MovableClock(datetime.now(UTC))
    app.state.gateway.use_clock(clock)
    async with running(app) as http:
        yield app, http, clock


async def _ask(http, phone=PHONE):
    return await http.post("/api/auth/otp/request", json={"phone": phone})


async def _code(http, phone=PHONE) -> str:
    answer = await http.get("/api/auth/dev/otp", params={"phone": phone})
    assert answer.status_code == 200, answer.text
    return answer.json()["code"]


async def _verify(http, code, phone=PHONE):
    return await http.post("/api/auth/otp/verify", json={"phone": phone, "code": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_villager_signs_in_with_a_code_and_gets_an_account(gateway):
    _, http, clock = gateway
    sent = await _ask(http, "138 1234 5678")
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"phone_masked": "138****5678", "expires_in": 300, "resend_after": 60}
    signed_in = await _verify(http, await _code(http))
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()
    assert tokens["roles"] == ["villager"] and tokens["refresh_token"].startswith("rt_")
    me = (await http.get("/api/auth/me", headers=bearer(tokens["access_token"]))).json()
    assert me["roles"] == ["villager"] and PHONE not in str(me)
    # the same number signs in to the same account next time
    clock.advance(timedelta(minutes=2))
    await _ask(http)
    again = (await _verify(http, await _code(http))).json()
    assert (await http.get("/api/auth/me", headers=bearer(again["access_token"]))).json()["subject"] == me["subject"]


async def test_a_code_is_good_for_five_minutes_only(gateway):
    _, http, clock = gateway
    await _ask(http)
    code = await _code(http)
    clock.advance(timedelta(minutes=4, seconds=59))
    assert (await _verify(http, code)).status_code == 200
    clock.advance(timedelta(minutes=1, seconds=2))
    await _ask(http)
    late = await _code(http)
    clock.advance(timedelta(minutes=5, seconds=1))
    expired = await _verify(http, late)
    assert expired.status_code == 401
    assert expired.headers["content-type"] == "application/problem+json"
    assert expired.json()["type"].endswith("/code-rejected")


async def test_a_code_is_used_once(gateway):
    _, http, _ = gateway
    await _ask(http)
    code = await _code(http)
    assert (await _verify(http, code)).status_code == 200
    assert (await _verify(http, code)).status_code == 401


async def test_five_wrong_tries_kill_the_code(gateway):
    _, http, _ = gateway
    await _ask(http)
    code = await _code(http)
    left = []
    for _ in range(5):
        answer = await _verify(http, _wrong(code))
        assert answer.status_code == 401
        left.append(answer.json()["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    assert (await _verify(http, code)).status_code == 401


async def test_a_new_code_replaces_the_old_one(gateway):
    _, http, clock = gateway
    await _ask(http)
    first = await _code(http)
    clock.advance(timedelta(seconds=61))
    await _ask(http)
    second = await _code(http)
    if first != second:
        assert (await _verify(http, first)).status_code == 401
    assert (await _verify(http, second)).status_code == 200


async def test_one_code_a_minute_and_five_an_hour_per_number(gateway):
    app, http, clock = gateway
    assert (await _ask(http)).status_code == 202
    refused = await _ask(http)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 55 <= int(refused.headers["retry-after"]) <= 60
    for _ in range(4):
        clock.advance(timedelta(seconds=61))
        async with client_from(app, f"10.0.0.{_ + 10}") as elsewhere:  # other addresses: the number's limit
            assert (await _ask(elsewhere)).status_code == 202
    clock.advance(timedelta(seconds=61))
    async with client_from(app, "10.0.0.99") as elsewhere:
        sixth = await _ask(elsewhere)
    assert sixth.status_code == 429 and int(sixth.headers["retry-after"]) > 60
    clock.advance(timedelta(hours=1))
    assert (await _ask(http)).status_code == 202


async def test_a_station_of_villagers_sharing_one_address_gets_its_codes(gateway):
    # the per-number limits stay (1 a minute, 5 an hour); one address may ask for 10 numbers a minute
    _, http, clock = gateway
    answers = [(await _ask(http, f"139000000{index:02d}")).status_code for index in range(11)]
    assert answers == [202] * 10 + [429]
    clock.advance(timedelta(seconds=61))
    assert (await _ask(http, "13900000099")).status_code == 202


async def test_the_development_code_endpoint_is_absent_in_production(databases, keys, tmp_path):
    from gateway.app import create_app
    from gateway.identity.sealed import make_keys_file
    from shared.auth import generate_keypair

    generate_keypair(tmp_path / "prod.pem", tmp_path / "prod.pub")
    make_keys_file(tmp_path / "prod-secrets.key")
    settings = gateway_settings(databases, "nats://127.0.0.1:1", keys).model_copy(
        update={
            "environment": "production",
            "token_private_key_file": tmp_path / "prod.pem",
            "encryption_keys_file": tmp_path / "prod-secrets.key",
            "public_url": "https://grid.example",
            "otp_sender": "webhook",
            "otp_webhook_url": "http://127.0.0.1:1/sms",
        }
    )
    app = create_app(settings)
    assert "/api/auth/dev/otp" not in app.openapi()["paths"] and "/api/auth/otp/request" in app.openapi()["paths"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as http:
        answer = await http.get("/api/auth/dev/otp", params={"phone": PHONE})
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    with pytest.raises(ValueError):
        type(settings)(**{**settings.model_dump(), "otp_sender": "log"})


async def test_officials_sign_in_with_a_password_and_optional_totp(gateway):
    app, http, clock = gateway
    await add_official(app, "office1", Role.npc_office)
    assert (await login(http, "office1", "wrong-password")).status_code == 401
    assert (await login(http, "nobody", "wrong-password")).status_code == 401
    signed_in = await login(http, "office1")
    assert signed_in.status_code == 200 and signed_in.json()["roles"] == ["npc_office"]
    token = signed_in.json()["access_token"]

    setup = await http.post("/api/auth/totp/setup", headers=bearer(token))
    assert setup.status_code == 200 and setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    secret = setup.json()["secret"]
    wrong = await http.post(
        "/api/auth/totp/enable", json={"code": _wrong(totp.code_at(secret, clock.now()))}, headers=bearer(token)
    )
    assert wrong.status_code == 422
    enabled = await http.post(
        "/api/auth/totp/enable", json={"code": totp.code_at(secret, clock.now())}, headers=bearer(token)
    )
    assert enabled.status_code == 204
    without = await login(http, "office1")
    assert without.status_code == 401 and without.json()["type"].endswith("/totp-required")
    clock.advance(timedelta(seconds=30))
    code = totp.code_at(secret, clock.now())
    assert (await login(http, "office1", totp_code=code)).status_code == 200
    reused = await login(http, "office1", totp_code=code)
    assert reused.status_code == 401  # a code works once
    async with app.state.gateway.maker() as session:
        actions = {row.action for row in (await session.execute(AuditEntry.__table__.select())).all()}
    assert {"signin.password", "totp.enabled"} <= actions


async def test_strangers_cannot_lock_an_official_out(gateway):
    app, http, _ = gateway
    app.state.gateway.settings.password_slowdown_max_seconds = 0.5
    await add_official(app, "staff1", Role.station_staff)
    attacker = [[] for _ in range(4)]
    for _ in range(6):
        for index, answers in enumerate(attacker):
            async with client_from(app, f"10.1.0.{index}") as elsewhere:
                answers.append((await login(elsewhere, "staff1", "wrong-password")).status_code)
    # each of the attacker's addresses is stopped after 5 failures for the account ...
    assert all(answers == [401] * 5 + [429] for answers in attacker)
    # ... and the official, from their own address, still signs in with the right password (only slower)
    started = time.monotonic()
    assert (await login(http, "staff1")).status_code == 200
    assert time.monotonic() - started >= 0.5


async def test_a_missing_totp_code_counts_like_a_wrong_password(gateway):
    app, http, clock = gateway
    await add_official(app, "office2", Role.npc_office)
    token = (await login(http, "office2")).json()["access_token"]
    secret = (await http.post("/api/auth/totp/setup", headers=bearer(token))).json()["secret"]
    code = totp.code_at(secret, clock.now())
    assert (await http.post("/api/auth/totp/enable", json={"code": code}, headers=bearer(token))).status_code == 204
    async with client_from(app, "10.2.0.1") as elsewhere:
        wrong = await login(elsewhere, "office2", "wrong-password")
        assert wrong.status_code == 401 and wrong.json()["type"].endswith("/unauthorized")  # no hint of TOTP
        answers = [(await login(elsewhere, "office2")).status_code for _ in range(5)]
    assert answers == [401] * 4 + [429]  # right password, no code: counted with the wrong password


async def test_sign_in_is_rate_limited_per_client_address(gateway):
    app, http, _ = gateway
    statuses = [(await login(http, f"user{index}", "wrong-password")).status_code for index in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(gateway):
    app, http, _ = gateway
    await add_official(app, "dep1", Role.deputy, deputy_id="5f0e3c1a-3d0b-4b8e-9b7e-1f2a3b4c5d6e")
    first = (await login(http, "dep1")).json()
    second = await http.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"] and second["deputy_id"] == first["deputy_id"]
    third = (await http.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})).json()

    reused = await http.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["type"].endswith("/refresh-token-reused")
    # the thief's copy and the owner's current token are both dead now
    assert (await http.post("/api/auth/refresh", json={"refresh_token": third["refresh_token"]})).status_code == 401
    async with app.state.gateway.maker() as session:
        rows = (await session.execute(AuditEntry.__table__.select())).all()
    assert "refresh.reuse-detected" in {row.action for row in rows}
    # another sign-in is a new family and works
    fresh = (await login(http, "dep1")).json()
    assert (await http.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})).status_code == 200


async def test_logout_revokes_the_refresh_token(gateway):
    app, http, _ = gateway
    await add_official(app, "fin1", Role.finance)
    tokens = (await login(http, "fin1")).json()
    assert (await http.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    assert (await http.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    assert (await http.post("/api/auth/refresh", json={"refresh_token": "rt_" + "x" * 40})).status_code == 401


async def test_refresh_tokens_expire(gateway):
    app, http, clock = gateway
    await add_official(app, "fin2", Role.finance)
    tokens = (await login(http, "fin2")).json()
    clock.advance(timedelta(days=30, seconds=1))
    assert (await http.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401


async def test_access_tokens_expire_and_verify_with_the_published_key(gateway, keys):
    app, http, _ = gateway
    await add_official(app, "staff2", Role.station_staff)
    token = (await login(http, "staff2")).json()["access_token"]
    jwks = (await http.get("/api/auth/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], issuer="deputies-in-the-grid")
    assert claims["roles"] == ["station_staff"] and claims["exp"] - claims["iat"] == 15 * 60

    principal = Principal(subject="s", roles=frozenset({Role.station_staff}))
    stale = issue_token(
        keys.private.read_bytes(),
        principal,
        issuer=ISSUER,
        lifetime=timedelta(minutes=15),
        now=datetime.now(UTC) - timedelta(minutes=16),
    )
    answer = await http.get("/api/auth/me", headers=bearer(stale))
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    header, payload, signature = token.split(".")
    assert (await http.get("/api/auth/me", headers=bearer(f"{header}.{payload}.{signature[::-1]}"))).status_code == 401


class FakeAliyun:
    """Aliyun's SMS API (dysmsapi) on 127.0.0.1: records each request, whether its signature (version 1.0)
    holds for the secret, and answers `code` as Aliyun does."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.code = "OK"
        self.requests: list[tuple[dict[str, str], bool]] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def _api(self, request: web.Request) -> web.Response:
        parameters = dict(request.query)
        signature = parameters.pop("Signature", "")
        self.requests.append((parameters, aliyun_signature(parameters, self.secret) == signature))
        return web.json_response({"Code": self.code, "Message": self.code, "RequestId": "r-1", "BizId": "b-1"})

    async def __aenter__(self) -> "FakeAliyun":
        app = web.Application()
        app.router.add_get("/", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def test_codes_go_through_the_aliyun_adapter_as_the_approved_template(nats_server, databases, keys):
    async with FakeAliyun("sms-secret") as aliyun:
        settings = gateway_settings(
            databases,
            nats_server.url,
            keys,
            otp_sender="aliyun",
            aliyun_access_key_id="sms-key",
            aliyun_access_key_secret="sms-secret",
            aliyun_sms_endpoint=aliyun.url,
            aliyun_sms_templates={"signin_code": "SMS_900001"},
        )
        app = await migrated_app(settings)
        async with running(app) as http:
            assert (await _ask(http, "+86 138 1234 5678")).status_code == 202
            [(sent, signed)] = aliyun.requests
            assert signed and sent["AccessKeyId"] == "sms-key" and sent["Action"] == "SendSms"
            assert (sent["PhoneNumbers"], sent["TemplateCode"]) == (PHONE, "SMS_900001")
            assert sent["SignName"] == "人大代表进网格" and sent["OutId"]
            variables = json.loads(sent["TemplateParam"])
            assert variables.keys() == {"code", "minutes"} and variables["minutes"] == "5"
            assert (await http.get("/api/auth/dev/otp", params={"phone": PHONE})).status_code == 404  # no dev outbox
            assert (await _verify(http, variables["code"])).status_code == 200

            aliyun.code = "isv.BUSINESS_LIMIT_CONTROL"  # the provider refuses: the code is withdrawn, try again
            refused = await _ask(http, "13912345678")
            assert refused.status_code == 503 and refused.headers["content-type"] == "application/problem+json"
            code = json.loads(aliyun.requests[-1][0]["TemplateParam"])["code"]
            assert (await _verify(http, code, "13912345678")).status_code == 401
