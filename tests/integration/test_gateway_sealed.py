"""Officials' TOTP secrets are encrypted at rest: a copy of the gateway's database does not give a thief the
second factor. The migration seals the secrets that were stored in the clear, and those officials still sign in."""

import asyncio
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select

from gateway.app import create_app
from gateway.identity import totp
from gateway.models import Account
from shared.auth import Role
from shared.migrations import alembic_config
from tests.integration.test_gateway_harness import (
    add_official,
    bearer,
    gateway_settings,
    login,
    migrated_app,
    running,
)


async def _stored_secret(app, username: str) -> str | None:  # type: ignore[no-untyped-def]
    async with app.state.gateway.maker() as session:
        return (await session.execute(select(Account.totp_secret).where(Account.username == username))).scalar()


async def test_a_totp_secret_is_never_stored_in_the_clear(nats_server, databases, keys):
    app = await migrated_app(gateway_settings(databases, nats_server.url, keys))
    async with running(app) as http:
        await add_official(app, "office", Role.npc_office)
        token = (await login(http, "office")).json()["access_token"]
        secret = (await http.post("/api/auth/totp/setup", headers=bearer(token))).json()["secret"]
        stored = await _stored_secret(app, "office")
        assert stored and secret not in stored and stored.startswith("f1:")
        code = totp.code_at(secret, datetime.now(UTC))
        assert (await http.post("/api/auth/totp/enable", json={"code": code}, headers=bearer(token))).status_code == 204
        assert secret not in (await _stored_secret(app, "office") or "")


async def test_the_migration_seals_secrets_stored_in_the_clear_and_their_officials_still_sign_in(
    nats_server, databases, keys
):
    settings = gateway_settings(databases, nats_server.url, keys)
    await asyncio.to_thread(command.upgrade, alembic_config("gateway", settings), "4749b0896c0f")
    secret = totp.new_secret()
    app = create_app(settings)
    await add_official(app, "old-office", Role.npc_office)
    async with app.state.gateway.maker() as session:  # as the previous release stored it
        account = (await session.execute(select(Account).where(Account.username == "old-office"))).scalar_one()
        account.totp_secret, account.totp_enabled = secret, True
        await session.commit()
    await app.state.gateway.engine.dispose()

    app = await migrated_app(settings)
    stored = await _stored_secret(app, "old-office")
    assert stored and secret not in stored and stored.startswith("f1:")
    async with running(app) as http:
        assert (await login(http, "old-office")).json()["type"].endswith("/totp-required")
        signed_in = await login(http, "old-office", totp_code=totp.code_at(secret, datetime.now(UTC)))
        assert signed_in.status_code == 200, signed_in.text
