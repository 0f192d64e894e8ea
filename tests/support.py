"""What the tests share: a real nats-server from the wheel, real databases, signed tokens, app clients."""

import asyncio
import atexit
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.natsauth import BusUsers, permissions
from devstack.supervisor import free_port, nats_server_binary, wait_for_port
from shared.auth import Principal, Role, issue_token
from shared.config import SERVICE_PACKAGES, Settings
from shared.messaging.catalogue import CaseSubmittedV2
from shared.migrations import upgrade

ISSUER = "deputies-in-the-grid"


_BUS_USERS: BusUsers | None = None


def bus_users() -> BusUsers:
    """The NATS users and passwords of this test run (one set for every nats-server the tests start)."""
    global _BUS_USERS
    if _BUS_USERS is None:
        folder = Path(tempfile.mkdtemp(prefix="nats-users-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _BUS_USERS = BusUsers(folder)
        _BUS_USERS.server_config()
    return _BUS_USERS


class NatsServer:
    """A nats-server with JetStream on a free port and a temporary store; it can be stopped and restarted.

    It runs with the configuration `make run` generates: every service a user of its own with its permissions,
    no anonymous connections. `url` carries the operator's user (tests publish as any service through it);
    `address` carries none; a service's settings from `Databases.settings` carry its own user."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_args: list[str] = []
        self.users = bus_users()

    @property
    def address(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.users.url(self.address)

    def url_of(self, user: str) -> str:
        return self.users.url(self.address, user)

    def start(self) -> None:
        command = [nats_server_binary(), "-c", str(self.users.server_config()), "-a", "127.0.0.1"]
        command += ["-p", str(self.port), "-js", "-sd", str(self.store)]
        self.process = subprocess.Popen(
            command + self.extra_args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Databases:
    """One database per service and test: a SQLite file, or a PostgreSQL schema when TEST_DATABASE_URL is set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.postgres_url = os.environ.get("TEST_DATABASE_URL") or None
        self.schemas: list[str] = []

    @property
    def kind(self) -> str:
        return "postgresql" if self.postgres_url else "sqlite"

    def settings(self, service: str, nats_url: str, public_key: Path, **extra: Any) -> Settings:
        """A service's settings: its own database, and its own NATS user (the URL's operator is not used)."""
        label = f"{service}_{uuid.uuid4().hex[:8]}"
        values: dict[str, Any] = {"service_name": service, "nats_url": nats_url, "token_public_key_file": public_key}
        if service in permissions():
            values |= {"nats_user": service, "nats_password": bus_users().password(service)}
        if self.postgres_url:
            self.schemas.append(label)
            values |= {"database_url": self.postgres_url, "database_schema": label}
        else:
            values["database_url"] = f"sqlite+aiosqlite:///{self.folder / label}.db"
        return Settings(**{**values, **extra})

    async def drop_all(self) -> None:
        if self.postgres_url:
            await drop_schemas(self.postgres_url, self.schemas)


async def drop_schemas(url: str, schemas: Iterable[str]) -> None:
    """Drop the PostgreSQL schemas a test or benchmark made for its services (SQLAlchemy URL accepted)."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for schema in schemas:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


class Keys:
    def __init__(self, folder: Path) -> None:
        from shared.auth import generate_keypair

        self.private = folder / "signing.pem"
        self.public = folder / "signing.pub.pem"
        generate_keypair(self.private, self.public)

    def token(
        self, *roles: Role, subject: str | None = None, deputy_id: str | None = None, organisation: str | None = None
    ) -> str:
        principal = Principal(
            subject=subject or str(uuid.uuid4()), roles=frozenset(roles), deputy_id=deputy_id, organisation=organisation
        )
        return issue_token(self.private.read_bytes(), principal, issuer=ISSUER, lifetime=timedelta(minutes=15))

    def headers(self, *roles: Role, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, **claims)}"}


class RunningService:
    """A service app with its lifespan running (bus, relay, consumers) and an HTTP client on it."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.runtime = app.state.runtime
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def start_service(stack: AsyncExitStack, name: str, settings: Settings) -> RunningService:
    """Migrate the service's database, then run its app in-process against real NATS."""
    from importlib import import_module

    await asyncio.to_thread(upgrade, SERVICE_PACKAGES[name], settings)
    app = import_module(f"{SERVICE_PACKAGES[name]}.app").create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    service = RunningService(app)
    await stack.enter_async_context(service.client)
    await asyncio.wait_for(service.runtime.bus.ready.wait(), 15)
    # its durable consumers exist: an event a test publishes next is not missed (the streams that keep a message
    # only while a consumer wants it — IDENTITY, CONTACT, RECEPTION — drop one published before any consumer)
    for consumer in service.runtime.consumers:
        await asyncio.wait_for(consumer.created.wait(), 15)
    return service


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {result!r})")
        await asyncio.sleep(interval)


async def text_dump(engine: AsyncEngine) -> dict[str, list[str]]:
    """Every text value of every table in a service's database (table -> values, in a stable order): what an
    erasure test searches for a phone number, a name or an account id."""
    dump: dict[str, list[str]] = {}
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        for name in sorted(names):
            rows = await connection.execute(text(f'SELECT * FROM "{name}"'))
            dump[name] = sorted(str(value) for row in rows for value in row if isinstance(value, str))
    return dump


def found_in(dump: dict[str, list[str]], *needles: str) -> list[tuple[str, str]]:
    """(table, value) of each text value that contains one of `needles`."""
    return [(table, value) for table, values in dump.items() for value in values if any(n in value for n in needles)]


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class NatsCluster:
    """Three JetStream nodes clustered on loopback, each a nats-server from the wheel with its own store."""

    def __init__(self, folder: Path, size: int = 3) -> None:
        self.nodes = [NatsServer(folder / f"node-{index}") for index in range(size)]
        self.cluster_ports = [free_port() for _ in range(size)]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    @property
    def users(self) -> BusUsers:
        return self.nodes[0].users

    def start(self) -> None:
        routes = ",".join(f"nats://127.0.0.1:{port}" for port in self.cluster_ports)
        for index, node in enumerate(self.nodes):
            node.extra_args = [
                "-n",
                f"node-{index}",
                "--cluster_name",
                "deputies",
                "-cluster",
                f"nats://127.0.0.1:{self.cluster_ports[index]}",
                "-routes",
                routes,
            ]
            node.start()

    def kill(self, index: int) -> None:
        process = self.nodes[index].process
        assert process is not None
        process.kill()
        process.wait(timeout=10)
        self.nodes[index].process = None

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def case_submitted(
    case_id: str,
    grid_id: str = "0c9d6f7e-6666-4222-8333-944455556666",
    deputy_ids: list[str] | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> CaseSubmittedV2:
    """A case.case.submitted.v2 payload as case_intake sends it; `fields` replace any of its other values."""
    at = at or datetime.now(UTC)
    values = {
        "case_id": case_id,
        "tracking_code": "SS-2611-00001",
        "grid_id": grid_id,
        "kind": "request",
        "category": "water",
        "channel": "pwa",
        "public": True,
        "submitted_at": at,
        "accept_due_at": at + timedelta(days=1),
        "assigned_deputy_ids": deputy_ids or [],
    }
    return CaseSubmittedV2(**{**values, **fields})
