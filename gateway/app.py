"""The gateway process: sign-in and tokens, the proxy to the services, the public API documents, Open311,
live updates, integrators' events (a feed and webhooks), and the PWA's static files.

Three rooms (gateway.identity, gateway.edge, gateway.integrations), each with module-level routers; this
module makes the process's state (app.state: gateway, hop, hub, documents, open311, settings), includes the
routers in the order the OpenAPI document lists them, and wires the middleware."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from gateway.deps import Gateway
from gateway.edge import documents, logbuffer, shell
from gateway.edge.proxy import ProxyDispatch, ServiceProxy, service_urls, too_many
from gateway.edge.ratelimit import TooManyRequests
from gateway.edge.security import CompressionMiddleware, SecurityHeadersMiddleware, security_headers
from gateway.edge.upstreams import Hop
from gateway.identity import admin, personal_data, signin
from gateway.identity.senders import sender_for
from gateway.integrations import asyncapi, events, feed, hooks, live, open311, webhooks
from gateway.settings import GatewaySettings
from shared import logs, problems
from shared.db import create_engine, create_sessionmaker, ping
from shared.messaging.outbox import OUTBOX_SIGNAL_KEY, OutboxSignal
from shared.service import RequestContextMiddleware

health = APIRouter()


@health.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    gateway: Gateway = request.app.state.gateway
    hub: live.LiveHub = request.app.state.hub
    checks = {"database": "ok", "nats": "ok" if hub.connected else "unavailable"}
    try:
        await ping(gateway.engine)
    except Exception:
        checks["database"] = "unavailable"
    ready = checks["database"] == "ok"  # live updates wait for NATS; sign-in and the API do not
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    flusher = asyncio.create_task(logbuffer.flush_periodically(state.log_handler), name="log-flush")
    await state.hop.start()
    await state.integrations.start()
    await state.hub.start()
    await state.deliverer.start()
    try:
        yield
    finally:
        flusher.cancel()
        await state.deliverer.stop()
        await state.hub.stop()
        await state.integrations.stop()
        await state.hop.stop()
        await state.gateway.sender.close()
        await state.gateway.engine.dispose()


async def _too_many(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, TooManyRequests)
    return too_many(error)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    logs.configure(settings.service_name, settings.log_level)
    engine = create_engine(settings)
    signal = OutboxSignal()
    gateway = Gateway(
        settings=settings,
        engine=engine,
        maker=create_sessionmaker(engine, info={OUTBOX_SIGNAL_KEY: signal}),
        sender=sender_for(
            settings.otp_sender,  # type: ignore[arg-type]  # checked by GatewaySettings
            settings,
            webhook_url=settings.otp_webhook_url,
            timeout_seconds=settings.otp_send_timeout_seconds,
        ),
        signal=signal,
    )
    hop = Hop(
        service_urls(settings),
        timeout_seconds=settings.proxy_timeout_seconds,
        connect_timeout_seconds=settings.proxy_connect_timeout_seconds,
    )
    proxy = ServiceProxy(
        hop,
        timeout_seconds=settings.proxy_timeout_seconds,
        upload_timeout_seconds=settings.upload_timeout_seconds,
        max_body_bytes=settings.max_body_bytes,
    )
    app = FastAPI(
        title="Deputies in the grid — public API",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.log_handler = logbuffer.install()
    app.state.gateway = gateway
    app.state.verifier = gateway.verifier
    app.state.hop = hop
    app.state.integrations = events.IntegrationRuntime(gateway)
    app.state.hub = live.LiveHub(app.state.integrations.bus, settings.live_queue_size)
    app.state.deliverer = webhooks.Deliverer(gateway)
    app.state.open311 = open311.CaseIntakeClient(gateway, hop)
    app.state.documents = documents.merged_document(app, settings, hop)
    _install_middleware(app, settings, proxy, gateway)
    problems.install(app)
    app.add_exception_handler(TooManyRequests, _too_many)

    app.include_router(signin.router)
    app.include_router(admin.router)
    app.include_router(personal_data.router)
    if settings.dev_endpoints:
        app.include_router(signin.dev_router)
    app.include_router(hooks.router)
    app.include_router(live.router)
    app.include_router(feed.router)
    app.include_router(open311.router)
    app.include_router(documents.router)
    app.include_router(asyncapi.router)
    app.include_router(health)
    shell.add_to(app)  # last: it answers every path no other route takes
    return app


def _install_middleware(app: FastAPI, settings: GatewaySettings, proxy: ServiceProxy, gateway: Gateway) -> None:
    """Outermost first: request id and log → security headers → gzip → CORS (if configured) → proxy → app."""
    app.add_middleware(ProxyDispatch, proxy=proxy, gateway=gateway)
    if settings.origins():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins(),
            allow_methods=shell.API_METHODS,
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "Last-Event-ID"],
            expose_headers=["X-Request-ID", "Idempotent-Replayed", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(CompressionMiddleware, minimum_size=500, compresslevel=6)
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(settings))
    app.add_middleware(RequestContextMiddleware)
