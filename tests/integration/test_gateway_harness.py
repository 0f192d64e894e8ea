"""What the gateway tests share (no tests here): a migrated gateway app, and apps served over real HTTP."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from devstack.supervisor import free_port
from gateway.app import create_app
from gateway.identity.accounts import hasher, new_account
from gateway.settings import GatewaySettings
from shared.auth import Role
from shared.migrations import upgrade
from tests.support import Databases, Keys

PASSWORD = "a-long-enough-password"


def gateway_settings(databases: Databases, nats_url: str, keys: Keys, **extra: Any) -> GatewaySettings:
    base = databases.settings("gateway", nats_url, keys.public)
    own = {"token_private_key_file": keys.private, "encryption_keys_file": keys.private.parent / "gateway-secrets.key"}
    # trusted_proxies: a service's default (its peer, the gateway, on loopback) is not the gateway's (nobody)
    return GatewaySettings(**{**base.model_dump(exclude={"service_name", "trusted_proxies"}), **own, **extra})


async def migrated_app(settings: GatewaySettings) -> FastAPI:
    await asyncio.to_thread(upgrade, "gateway", settings)
    return create_app(settings)


@asynccontextmanager
async def running(app: FastAPI, client: tuple[str, int] = ("127.0.0.1", 40000)) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running and an in-process client (no streaming: use `served` for SSE)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            yield http


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    """Another client of an already running app, from another address."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40001)), base_url="http://g.test")


async def add_official(app: FastAPI, username: str, *roles: Role, **fields: Any) -> str:
    async with app.state.gateway.maker() as session:
        account = new_account(username, hasher.hash(PASSWORD), username.title(), list(roles), **fields)
        session.add(account)
        await session.commit()
        return account.id


async def login(http: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
    return await http.post("/api/auth/login", json={"username": username, "password": password, **extra})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def served(
    app: FastAPI, port: int | None = None, *, lifespan: bool = True, proxy_headers: bool = True
) -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on 127.0.0.1 in this event loop; yields its base URL.

    `lifespan=False` serves an app whose lifespan already runs (a service from tests.support.start_service);
    `proxy_headers=False` serves it as the gateway is served (`python -m gateway`: uvicorn leaves
    X-Forwarded-For alone).
    """
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on" if lifespan else "off",
        proxy_headers=proxy_headers,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


def idempotency_key() -> str:
    return "test-" + uuid.uuid4().hex


class EventStream:
    """Reads a Server-Sent Events answer in the background: `next()` gives (event, data) in order."""

    def __init__(self, http: httpx.AsyncClient, path: str, **kwargs: Any) -> None:
        self.http = http
        self.path = path
        self.kwargs = kwargs
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self._task: asyncio.Task[None] | None = None
        self._opened = asyncio.Event()

    async def _read(self) -> None:
        async with self.http.stream("GET", self.path, timeout=30, **self.kwargs) as answer:
            self.status, self.headers = answer.status_code, answer.headers
            self._opened.set()
            event, data = "message", []
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    await self.events.put((event, json.loads("\n".join(data))))
                    event, data = "message", []

    async def __aenter__(self) -> "EventStream":
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self._opened.wait(), 10)
        if self.status == 200:
            assert (await self.next())[0] == "ready"
        return self

    async def next(self, timeout: float = 5.0) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
