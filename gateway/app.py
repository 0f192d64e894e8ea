"""The gateway process: sign-in and tokens, the proxy to the services, the public API documents, Open311,
live updates, and the PWA's static files."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.routing import Match

from gateway.deps import Gateway
from gateway.edge import documents, logbuffer
from gateway.edge.proxy import ProxyDispatch, ServiceProxy, service_urls, too_many
from gateway.edge.ratelimit import TooManyRequests
from gateway.edge.security import CompressionMiddleware, SecurityHeadersMiddleware, security_headers
from gateway.identity import admin, signin
from gateway.identity.senders import sender_for
from gateway.integrations import live, open311
from gateway.settings import GatewaySettings
from shared import logs, problems
from shared.db import create_engine, create_sessionmaker, ping
from shared.problems import problem_response
from shared.service import RequestContextMiddleware

NO_CACHE = frozenset({"index.html", "sw.js", "service-worker.js", "manifest.webmanifest", "manifest.json"})
API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CATCH_ALLS = frozenset({"/api/{path:path}", "/open311/{path:path}", "/{path:path}"})


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    logs.configure(settings.service_name, settings.log_level)
    log_handler = logbuffer.install()
    engine = create_engine(settings)
    gateway = Gateway(
        settings=settings,
        engine=engine,
        maker=create_sessionmaker(engine),
        sender=sender_for(settings.otp_sender, settings.otp_webhook_url),
    )
    proxy = ServiceProxy(
        service_urls(settings),
        timeout_seconds=settings.proxy_timeout_seconds,
        connect_timeout_seconds=settings.proxy_connect_timeout_seconds,
        max_body_bytes=settings.max_body_bytes,
    )

    hub = live.LiveHub(settings.nats_url, settings.live_queue_size)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(logbuffer.flush_periodically(log_handler), name="log-flush")
        await proxy.start()
        await hub.start()
        try:
            yield
        finally:
            flusher.cancel()
            await hub.stop()
            await proxy.stop()
            await gateway.sender.close()
            await engine.dispose()

    app = FastAPI(
        title="Deputies in the grid — public API",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.gateway = gateway
    app.state.proxy = proxy
    app.state.hub = hub
    app.state.settings = settings
    app.state.verifier = gateway.verifier
    _install_middleware(app, settings, proxy, gateway)
    problems.install(app)

    @app.exception_handler(TooManyRequests)
    async def _too_many(_: Request, error: TooManyRequests) -> JSONResponse:
        return too_many(error)

    app.include_router(signin.router)
    app.include_router(admin.router)
    if settings.dev_endpoints:
        signin.install_dev_routes(app)
    live.install(app, hub, proxy, settings.live_heartbeat_seconds)
    open311.install(app, gateway, proxy)
    documents.install(app, settings, proxy)
    _health(app, gateway, hub)
    _unknown_api(app)
    _serve_pwa(app, settings)
    return app


def _install_middleware(app: FastAPI, settings: GatewaySettings, proxy: ServiceProxy, gateway: Gateway) -> None:
    """Outermost first: request id and log → security headers → gzip → CORS (if configured) → proxy → app."""
    app.add_middleware(ProxyDispatch, proxy=proxy, gateway=gateway)
    if settings.origins():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins(),
            allow_methods=API_METHODS,
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "Last-Event-ID"],
            expose_headers=["X-Request-ID", "Idempotent-Replayed", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(CompressionMiddleware, minimum_size=500, compresslevel=6)
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(settings))
    app.add_middleware(RequestContextMiddleware)


def _health(app: FastAPI, gateway: Gateway, hub: live.LiveHub) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = {"database": "ok", "nats": "ok" if hub.connected else "unavailable"}
        try:
            await ping(gateway.engine)
        except Exception:
            checks["database"] = "unavailable"
        ready = checks["database"] == "ok"  # live updates wait for NATS; sign-in and the API do not
        return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)


def _unknown_api(app: FastAPI) -> None:
    """An /api/ or /open311/ path that no route answers is a 404 (405 when only the method is wrong), never
    the app shell."""

    def allowed(request: Request) -> list[str]:
        """The methods other routes take on this path (Starlette answers 405 itself, but not past catch-alls)."""
        routes = [route for route in app.routes if getattr(route, "path", None) not in CATCH_ALLS]
        return [
            method
            for method in API_METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
        ]

    @app.api_route("/api/{path:path}", methods=API_METHODS, include_in_schema=False)
    async def unknown(path: str, request: Request) -> Response:
        if methods := allowed(request):
            answer = problem_response(405, f"{request.method} is not allowed here.")
            answer.headers["Allow"] = ", ".join(methods)
            return answer
        return problem_response(404, "There is no such API path.")

    @app.api_route("/open311/{path:path}", methods=API_METHODS, include_in_schema=False)
    async def unknown_open311(path: str, request: Request) -> Response:
        if methods := allowed(request):
            answer = [{"code": 405, "description": f"{request.method} is not allowed here."}]
            return JSONResponse(answer, status_code=405, headers={"Allow": ", ".join(methods)})
        return JSONResponse([{"code": 404, "description": "There is no such Open311 path."}], status_code=404)


def _serve_pwa(app: FastAPI, settings: GatewaySettings) -> None:
    """The PWA: the shell and the service worker revalidated every time, other assets cached for a week."""
    root = settings.pwa_dir.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def pwa(path: str) -> Response:
        target = (root / (path or "index.html")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            if "." in path.rsplit("/", 1)[-1]:
                return problem_response(404, "No such file.")
            target = root / "index.html"  # the app shell answers every in-app route
        cache = "no-cache" if target.name in NO_CACHE else "public, max-age=604800"
        return FileResponse(target, headers={"Cache-Control": cache})
