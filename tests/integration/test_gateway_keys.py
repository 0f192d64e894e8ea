"""Rotating the token-signing key: tokens signed before the rotation verify at the gateway and at every service
(which hold public keys only) until they expire, new tokens name the new key, and a token naming a key nobody
published is refused everywhere."""

import asyncio
from datetime import UTC, datetime, timedelta
from importlib import import_module

import httpx
import jwt
import pytest

from gateway.identity.keys import RotationRefused, rotate
from shared.auth import Principal, Role, generate_keypair, issue_token, key_id_of
from shared.config import SERVICE_PACKAGES
from shared.migrations import upgrade
from tests.integration.test_gateway_harness import add_official, bearer, gateway_settings, login, migrated_app, running
from tests.support import ISSUER, Keys

SIGNED_IN_ROUTES = {
    "grid": "/coverage",
    "deputy": "/inbox",
    "case_intake": "/cases",
    "station_scheduling": "/records",
    "micro_funding": "/projects/mine",
}
"""One GET of each service that needs a token (401 without one)."""


@pytest.fixture
async def world(nats_server, databases, tmp_path):
    keys = Keys(tmp_path)  # this test's own key pair: the rotation rewrites its files
    services = {}
    for name in SIGNED_IN_ROUTES:
        settings = databases.settings(name, nats_server.url, keys.public)
        await asyncio.to_thread(upgrade, SERVICE_PACKAGES[name], settings)
        app = import_module(f"{SERVICE_PACKAGES[name]}.app").create_app(settings)
        services[name] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")
    gateway = await migrated_app(gateway_settings(databases, nats_server.url, keys))
    async with running(gateway) as http:
        await add_official(gateway, "office", Role.npc_office)
        yield keys, http, services
    for client in services.values():
        await client.aclose()


async def _accepted_everywhere(http: httpx.AsyncClient, services: dict, token: str) -> dict[str, bool]:
    accepted = {"gateway": (await http.get("/api/auth/me", headers=bearer(token))).status_code == 200}
    for name, client in services.items():
        accepted[name] = (await client.get(SIGNED_IN_ROUTES[name], headers=bearer(token))).status_code != 401
    return accepted


def _everywhere(value: bool) -> dict[str, bool]:
    return {name: value for name in ("gateway", *SIGNED_IN_ROUTES)}


async def test_a_rotation_keeps_old_tokens_valid_until_they_expire_and_refuses_unknown_keys(world, tmp_path):
    keys, http, services = world
    for name, client in services.items():  # the routes do need a token
        assert (await client.get(SIGNED_IN_ROUTES[name])).status_code == 401, name
    before = (await login(http, "office")).json()["access_token"]
    old_kid = jwt.get_unverified_header(before)["kid"]
    office = Principal(subject="someone", roles=frozenset({Role.npc_office}))
    short = issue_token(keys.private.read_bytes(), office, issuer=ISSUER, lifetime=timedelta(seconds=3))
    assert await _accepted_everywhere(http, services, before) == _everywhere(True)

    new_kid, kept = rotate(keys.private, keys.public, token_lifetime=timedelta(minutes=15))
    assert kept == old_kid and new_kid != old_kid and key_id_of(keys.private.read_bytes()) == new_kid
    await asyncio.sleep(1.1)  # the gateway looks at its key file at most once a second

    after = (await login(http, "office")).json()["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert await _accepted_everywhere(http, services, after) == _everywhere(True)
    assert await _accepted_everywhere(http, services, before) == _everywhere(True)
    assert await _accepted_everywhere(http, services, short) == _everywhere(True)
    published = [key["kid"] for key in (await http.get("/api/auth/jwks.json")).json()["keys"]]
    assert published == [new_kid, old_kid]

    generate_keypair(tmp_path / "stranger.pem", tmp_path / "stranger.pub")
    stranger = (tmp_path / "stranger.pem").read_bytes()
    unknown = issue_token(stranger, office, issuer=ISSUER, lifetime=timedelta(minutes=5))
    posing = issue_token(stranger, office, issuer=ISSUER, lifetime=timedelta(minutes=5), key_id=new_kid)
    no_kid = jwt.encode(
        {"iss": ISSUER, "sub": "x", "exp": datetime.now(UTC) + timedelta(minutes=5), "roles": ["npc_office"]},
        keys.private.read_bytes(),
        algorithm="EdDSA",
    )
    for refused in (unknown, posing, no_kid):
        assert await _accepted_everywhere(http, services, refused) == _everywhere(False)

    await asyncio.sleep(3)  # the short token expires: refused everywhere, the new key changes nothing about that
    assert await _accepted_everywhere(http, services, short) == _everywhere(False)

    # another rotation now would drop the old key while `before` still lives: refused unless forced
    with pytest.raises(RotationRefused):
        rotate(keys.private, keys.public, token_lifetime=timedelta(minutes=15))
    newest, _ = rotate(keys.private, keys.public, token_lifetime=timedelta(minutes=15), force=True)
    await asyncio.sleep(1.1)
    assert await _accepted_everywhere(http, services, before) == _everywhere(False)
    assert await _accepted_everywhere(http, services, after) == _everywhere(True)
    assert jwt.get_unverified_header((await login(http, "office")).json()["access_token"])["kid"] == newest
