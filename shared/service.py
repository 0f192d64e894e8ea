"""What turns a service's routers, tables and handlers into a running process.

A process serves its API, runs its outbox relay and its event consumers as lifespan tasks; a replica is
one more such process.
"""

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import i18n, logs, problems
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.config import Settings
from shared.db import READ_ONLY, create_engine, create_sessionmaker, is_sqlite, ping
from shared.messaging.bus import Bus
from shared.messaging.catalogue import EventPayload
from shared.messaging.idempotency import run_idempotent
from shared.messaging.inbox import DurableConsumer, Handler
from shared.messaging.outbox import OUTBOX_SIGNAL_KEY, OutboxSignal, stage
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables

log = logging.getLogger(__name__)


class ServiceRuntime:
    """The database, the bus, the relay and the consumers of one service process."""

    def __init__(
        self,
        settings: Settings,
        tables: MessagingTables,
        *,
        source: str,
        subscriptions: dict[str, dict[str, Handler]] | None = None,
    ) -> None:
        self.settings = settings
        self.tables = tables
        self.source = source
        self.clock: Clock = Clock()
        self.engine = create_engine(settings)
        self.signal = OutboxSignal()
        self.maker = create_sessionmaker(self.engine, info={OUTBOX_SIGNAL_KEY: self.signal})
        self.bus = Bus.for_settings(settings, consumes=list(subscriptions or {}))
        self.relay = OutboxRelay(
            self.maker,
            tables.outbox,
            self.bus,
            self.signal,
            poll_seconds=settings.relay_poll_seconds,
            skip_locked=not is_sqlite(settings.database_url),
        )
        self.consumers = [
            DurableConsumer(
                self.bus,
                self.maker,
                tables.inbox,
                name=settings.service_name,
                stream=stream,
                handlers=handlers,
                context=self,
                max_deliver=settings.consumer_max_deliver,
                nak_delay=settings.consumer_nak_delay_seconds,
                linger=settings.consumer_linger_seconds,
                fetch_seconds=settings.consumer_fetch_seconds,
            )
            for stream, handlers in (subscriptions or {}).items()
        ]
        self._tasks: list[asyncio.Task[Any]] = []

    async def emit(self, session: AsyncSession, payload: EventPayload, subject: str | None = None) -> str:
        """Stage an event in the outbox, in the caller's transaction."""
        return await stage(session, self.tables.outbox, self.source, payload, subject)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.bus.connect(), name="bus-connect"),
            asyncio.create_task(self.relay.run(), name="outbox-relay"),
        ]
        self._tasks += [
            asyncio.create_task(consumer.run(), name=f"consumer-{consumer.stream}") for consumer in self.consumers
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            while not task.done():  # asyncio.wait_for (Python 3.11, nats-py) can swallow a cancellation: repeat it
                await asyncio.wait({task}, timeout=1)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.bus.close()
        await self.engine.dispose()

    async def readiness(self) -> dict[str, str]:
        checks = {"database": "ok", "nats": "ok" if self.bus.connected else "unavailable"}
        if self.consumers:  # ready once the backlog of events that was waiting at start has been applied
            checks["events"] = "ok" if all(consumer.caught_up for consumer in self.consumers) else "catching_up"
        try:
            await ping(self.engine)
        except Exception:
            checks["database"] = "unavailable"
        return checks

    def counters(self) -> dict[str, int]:
        """Counts since the process started that an operator reads in /readyz's `counters` (e.g. failed
        look-ups); none by default."""
        return {}


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.maker() as session:
        if request.method in ("GET", "HEAD"):
            await session.connection(execution_options=READ_ONLY)  # reads never wait for SQLite's write lock
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_runtime(request: Request) -> ServiceRuntime:  # async: a plain def dependency costs a thread hop
    return request.app.state.runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


class Once:
    """Runs a create or an action once per Idempotency-Key, in the service's own idempotency table.

    The one idempotent-action wrapper of every service: `await once(key=key, scope=..., body=body,
    create=make, status_code=201)`. `scope` says whose and which action (e.g. `"<subject>:case-accept:<id>"`):
    the same key and body in the same scope give the first answer (`Idempotent-Replayed: true`), another body
    a 422, a twin still running a 409. Check the caller's credential before calling it, so that a replay never
    answers someone the first answer was not for."""

    def __init__(self, session: AsyncSession, table: Any) -> None:
        self.session = session
        self.table = table

    async def __call__(
        self,
        *,
        key: str | None,
        scope: str,
        body: BaseModel | None,
        create: Callable[[], Awaitable[BaseModel]],
        status_code: int = 200,
    ) -> JSONResponse:
        return await run_idempotent(
            self.session, self.table, key=key, scope=scope[:200], body=body, create=create, status_code=status_code
        )


async def get_once(request: Request, session: SessionDep) -> Once:
    return Once(session, request.app.state.runtime.tables.idempotency)


OnceDep = Annotated[Once, Depends(get_once)]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(spec: str) -> tuple[Network, ...]:
    """`127.0.0.1,::1,10.0.0.0/8` -> the networks; a setting that is not one refuses to start."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The client's address: the first of X-Forwarded-For's addresses when the peer is a trusted proxy (the
    gateway sends its client's address there), else the peer's own."""
    peer = (scope.get("client") or ("unknown", 0))[0] or "unknown"
    peer_address = _address(peer)
    if peer_address is not None and any(peer_address in network for network in trusted):
        for key, value in scope.get("headers", []):
            if key == b"x-forwarded-for":
                first = _address(value.decode("latin-1").split(",")[0])
                if first is not None:
                    return str(first)[:64]
                break
    return peer[:64]


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when sent), echoes it, and logs the outcome; keeps the
    client's address (`client_address`) for the audit log and its language (`shared.i18n.language_var`, from
    Accept-Language) for the words of its answer while the request runs."""

    def __init__(self, app: ASGIApp, trusted_proxies: tuple[Network, ...] = ()) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent_id = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = sent_id if sent_id.isprintable() and sent_id else logs.new_request_id()
        token = logs.request_id_var.set(request_id)
        client_token = logs.client_var.set(client_address(scope, self.trusted_proxies))
        accept_language = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        language_token = i18n.language_var.set(i18n.language(accept_language))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if status >= 500 or scope["path"] not in ("/healthz", "/readyz"):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            logs.request_id_var.reset(token)
            logs.client_var.reset(client_token)
            i18n.language_var.reset(language_token)


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", operation_id="health-live", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        operation_id="health-ready",
        summary="The database and NATS answer",
        responses={503: {"description": "A dependency is unavailable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        checks = await request.app.state.runtime.readiness()
        ready = all(value == "ok" for value in checks.values())
        body: dict[str, Any] = {"status": "ok" if ready else "unavailable", **checks}
        if counters := request.app.state.runtime.counters():
            body["counters"] = counters
        return JSONResponse(body, status_code=200 if ready else 503)

    return router


def create_service_app(runtime: ServiceRuntime, *, title: str, description: str, routers: list[APIRouter]) -> FastAPI:
    settings = runtime.settings
    logs.configure(settings.service_name, settings.log_level)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.verifier = TokenVerifier(settings.token_public_key_file, settings.token_issuer)  # read again on rotation
    app.add_middleware(RequestContextMiddleware, trusted_proxies=trusted_networks(settings.trusted_proxies))
    problems.install(app)
    app.include_router(_health_router())
    for router in routers:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = problems.rewrite_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
