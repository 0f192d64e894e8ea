"""A small world per service for the bad-input suite (no tests here): the service in-process on a real
database and its own nats-server, a few real records made through its API (their ids fill the routes' path
parameters), a caller with every role, and the reads whose answers must never change.

Built once per test module and service, on first use (`Worlds.get`), with the builders the integration tests
use (tests/integration/city.py, test_station_support.py, test_funding_support.py).
"""

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Role
from shared.config import Settings
from tests.support import Databases, Keys, NatsServer, start_service

PROBLEM = "application/problem+json"


@dataclass
class World:
    service: str
    client: httpx.AsyncClient
    engine: AsyncEngine
    keys: Keys
    ids: dict[str, str]  # path parameter -> a record that exists
    headers: dict[str, str]  # a caller with every role (acting for the world's deputy)
    reads: list[str]  # GETs whose answers must not change
    native: Any = None  # what the integration tests' builder made (Town, station World, Funding), for its helpers
    snapshot: dict[str, Any] = field(default_factory=dict)

    async def read_all(self) -> dict[str, Any]:
        answers = {}
        for path in self.reads:
            answer = await self.client.get(path, headers=self.headers)
            assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
            answers[path] = answer.json()
        return answers

    async def row_counts(self) -> dict[str, int]:
        return await row_counts(self.engine)


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows in every table of a service's database (its schema on PostgreSQL). The audit log counts its entries
    of actions only: the checks' own reads of personal data (the office reading what is stored) are audited too."""
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        query = " UNION ALL ".join(
            f"SELECT '{name}', count(*) FROM \"{name}\""
            + (" WHERE action NOT LIKE '%.read'" if name == "audit_log" else "")
            for name in sorted(names)
            if name != "alembic_version"
        )
        return {name: count for name, count in (await connection.execute(text(query))).all()}


def everyone(keys: Keys, deputy_id: str | None = None) -> dict[str, str]:
    """A caller holding every role, so that a refusal can only be about the input."""
    return keys.headers(*Role, subject="badinput-caller", deputy_id=deputy_id, organisation="water-bureau")


def problem_faults(answer: httpx.Response) -> list[str]:
    """What is wrong with an answer that should be a clear 4xx problem (empty: nothing)."""
    faults = []
    if not 400 <= answer.status_code < 500:
        faults.append(f"status {answer.status_code}")
    if answer.headers.get("content-type", "").split(";")[0] != PROBLEM:
        faults.append(f"content type {answer.headers.get('content-type')!r}")
        return faults
    body = answer.json()
    if not isinstance(body.get("title"), str) or body.get("status") != answer.status_code:
        faults.append(f"title/status missing or wrong: {body}")
    if not isinstance(body.get("detail"), str) or not body["detail"].strip():
        faults.append(f"no detail: {body}")
    return faults


async def created(client: httpx.AsyncClient, path: str, body: dict, headers: dict[str, str]) -> dict:
    answer = await client.post(path, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code in (200, 201), f"{path}: {answer.text}"
    return answer.json()


class Worlds:
    """Every service's world, built on first use and torn down with the test module."""

    def __init__(self, folder: Path, keys: Keys) -> None:
        self.folder = folder
        self.keys = keys
        self.stack = AsyncExitStack()
        self.databases = Databases(folder)
        self.built: dict[str, World] = {}

    async def get(self, service: str) -> World:
        if service not in self.built:
            nats = NatsServer(self.folder / f"nats-{service}")
            nats.start()
            self.stack.callback(nats.stop)
            world = await BUILDERS[service](self, nats)
            world.snapshot = await world.read_all()
            self.built[service] = world
        return self.built[service]

    async def close(self) -> None:
        await self.stack.aclose()
        await self.databases.drop_all()

    async def start(self, service: str, nats: NatsServer, **extra: Any):  # type: ignore[no-untyped-def]
        settings: Settings = self.databases.settings(service, nats.url, self.keys.public, **extra)
        return await start_service(self.stack, service, settings)


async def _grid(worlds: Worlds, nats: NatsServer) -> World:
    service = await worlds.start("grid", nats)
    office = worlds.keys.headers(Role.npc_office)
    township = await created(service.client, "/grids", {"code": "T01", "name": "韶山乡", "level": "township"}, office)
    village = {"code": "T01V01", "name": "韶阳村", "level": "village", "parent_id": township["id"]}
    village = await created(service.client, "/grids", village, office)
    group = {"code": "T01V01G01", "name": "韶阳村第1组", "level": "group", "parent_id": village["id"]}
    group = await created(service.client, "/grids", group, office)
    assignment = {"grid_id": group["id"], "deputy_id": str(uuid.uuid4()), "starts_on": "2026-01-01"}
    assignment = await created(service.client, "/assignments", assignment, office)
    return World(
        "grid",
        service.client,
        service.runtime.engine,
        worlds.keys,
        ids={"grid_id": group["id"], "assignment_id": assignment["id"]},
        headers=everyone(worlds.keys),
        reads=[f"/grids/{township['id']}", f"/grids/{group['id']}", f"/assignments?grid_id={group['id']}"],
    )


async def _deputy(worlds: Worlds, nats: NatsServer) -> World:
    service = await worlds.start("deputy", nats)
    office = worlds.keys.headers(Role.npc_office)
    body = {"code": "D9001", "name": "毛春华", "level": "township", "district": "韶山乡第3选区"}
    deputy = await created(service.client, "/deputies", body, office)
    own = worlds.keys.headers(Role.deputy, deputy_id=deputy["id"])
    pair = {"household": "王某某户", "need": "独居老人", "starts_on": "2026-01-05"}
    pair = await created(service.client, f"/deputies/{deputy['id']}/support-pairs", pair, own)
    return World(
        "deputy",
        service.client,
        service.runtime.engine,
        worlds.keys,
        ids={"deputy_id": deputy["id"], "pair_id": pair["id"]},
        headers=everyone(worlds.keys, deputy["id"]),
        reads=[
            f"/deputies/{deputy['id']}",
            f"/deputies/{deputy['id']}/support-pairs",
            f"/deputies/{deputy['id']}/record",
        ],
    )


async def _case_intake(worlds: Worlds, nats: NatsServer) -> World:
    from tests.integration.city import build_town

    town = await build_town(worlds.stack, nats, worlds.databases, worlds.keys)
    case = await town.file(town.villager())
    return World(
        "case_intake",
        town.client,
        town.case_intake.runtime.engine,
        worlds.keys,
        ids={
            "case_id": case["id"],
            "tracking_code": case["tracking_code"],
            "code": "water",
            "day": "2026-10-08",
            "referral_id": str(uuid.uuid4()),
            "mediation_id": str(uuid.uuid4()),
        },
        headers=everyone(worlds.keys, town.deputy_id),
        reads=[f"/cases/{case['id']}", "/categories"],
        native=town,
    )


async def _station(worlds: Worlds, nats: NatsServer) -> World:
    from tests.integration.test_station_support import build_world, session_body

    world = await build_world(worlds.stack, nats, worlds.databases, worlds.keys)
    session = await created(world.client, "/sessions", session_body(world), world.staff)
    booking = await created(world.client, f"/sessions/{session['id']}/bookings", {"topic": "水费"}, world.villager("a"))
    return World(
        "station_scheduling",
        world.client,
        world.service.runtime.engine,
        worlds.keys,
        ids={"station_id": world.station_id, "session_id": session["id"], "booking_id": booking["id"]},
        headers=everyone(worlds.keys),
        reads=[f"/stations/{world.station_id}", f"/sessions/{session['id']}", f"/bookings/{booking['id']}"],
        native=world,
    )


async def _funding(worlds: Worlds, nats: NatsServer) -> World:
    from tests.integration.test_funding_support import create_draft, create_pool, start_funding

    funding = await start_funding(worlds.stack, nats, worlds.databases, worlds.keys)
    pool = await create_pool(funding)
    project = await create_draft(funding, pool["id"])
    return World(
        "micro_funding",
        funding.client,
        funding.service.runtime.engine,
        worlds.keys,
        ids={"project_id": project["id"], "objection_id": str(uuid.uuid4()), "pool_id": pool["id"]},
        headers=everyone(worlds.keys, funding.deputy_id),
        reads=[f"/fund-pools/{pool['id']}", f"/projects/{project['id']}", f"/fund-pools/{pool['id']}/reconciliation"],
        native=funding,
    )


async def _notification(worlds: Worlds, nats: NatsServer) -> World:
    from tests.integration.push_receiver import Browser

    service = await worlds.start("notification", nats)
    caller = everyone(worlds.keys, str(uuid.uuid4()))
    device = Browser("https://fcm.googleapis.com/fcm/send/badinput-device").subscription()
    await created(service.client, "/subscriptions", {"subscription": device, "follow": ["SS-2612-00001"]}, caller)
    preferences = {"phone": "13812345678", "items": [{"kind": "case_routed", "channel": "sms", "enabled": False}]}
    answer = await service.client.put("/preferences", json=preferences, headers=caller)
    assert answer.status_code == 200, answer.text
    return World(
        "notification",
        service.client,
        service.runtime.engine,
        worlds.keys,
        ids={},
        headers=caller,
        reads=["/preferences", "/notifications"],
        native=service,
    )


async def _gateway(worlds: Worlds, nats: NatsServer) -> World:
    """The gateway's own routes (sign-in, tokens, accounts, API keys), in-process; its limits raised so that
    a refusal is about the input, not the rate."""
    from tests.integration.test_gateway_harness import (
        add_official,
        bearer,
        gateway_settings,
        login,
        migrated_app,
        running,
    )

    settings = gateway_settings(
        worlds.databases,
        nats.url,
        worlds.keys,
        signin_per_minute=100_000,
        password_failures_per_quarter_hour=100_000,
        otp_per_minute=100_000,
        otp_per_hour=100_000,
    )
    app = await migrated_app(settings)
    client = await worlds.stack.enter_async_context(running(app))
    await add_official(app, "office", Role.npc_office)
    clerk = await add_official(app, "clerk", Role.station_staff)
    office = bearer((await login(client, "office")).json()["access_token"])
    api_key = await created(client, "/api/admin/api-keys", {"name": "12345 热线"}, office)
    return World(
        "gateway",
        client,
        app.state.gateway.engine,
        worlds.keys,
        ids={"account_id": clerk, "key_id": api_key["id"]},
        headers=office,
        reads=[f"/api/admin/accounts/{clerk}", "/api/admin/api-keys"],
    )


def gateway_openapi() -> dict[str, Any]:
    """The gateway's own OpenAPI document (not the merged one), built without starting it."""
    import tempfile

    from gateway.app import create_app
    from gateway.edge.documents import gateway_openapi as document
    from gateway.settings import GatewaySettings
    from shared.auth import generate_keypair

    with tempfile.TemporaryDirectory() as folder:
        private, public = Path(folder) / "key.pem", Path(folder) / "key.pub.pem"
        generate_keypair(private, public)
        database = f"sqlite+aiosqlite:///{folder}/gateway.db"
        settings = GatewaySettings(database_url=database, token_private_key_file=private, token_public_key_file=public)
        return document(create_app(settings))


BUILDERS: dict[str, Callable[[Worlds, NatsServer], Awaitable[World]]] = {
    "grid": _grid,
    "deputy": _deputy,
    "case_intake": _case_intake,
    "station_scheduling": _station,
    "micro_funding": _funding,
    "notification": _notification,
    "gateway": _gateway,
}
