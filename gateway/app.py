from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from gateway.api import router
from gateway.proxy import ServiceProxy
from gateway.settings import GatewaySettings
from shared import logs, problems
from shared.db import create_engine, create_sessionmaker, ping
from shared.problems import problem_response
from shared.service import RequestContextMiddleware

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    logs.configure(settings.service_name, settings.log_level)
    engine = create_engine(settings)
    proxy = ServiceProxy(settings.proxy_timeout_seconds, settings.max_body_bytes)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await proxy.start()
        yield
        await proxy.stop()
        await engine.dispose()

    app = FastAPI(title="Deputies in the grid — gateway", version="1.0.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.maker = create_sessionmaker(engine)
    app.state.private_key = settings.token_private_key_file.read_bytes()
    app.add_middleware(RequestContextMiddleware)
    problems.install(app)
    app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            await ping(engine)
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.api_route("/api/{service}/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
    async def forward(service: str, path: str, request: Request) -> Response:
        base_url = settings.service_url(service)
        if base_url is None:
            return problem_response(404, f"There is no service called {service[:40]!r}.")
        return await proxy.forward(request, base_url, path)

    _serve_pwa(app, settings)
    return app


def _serve_pwa(app: FastAPI, settings: GatewaySettings) -> None:
    root = settings.pwa_dir.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def pwa(path: str) -> Response:
        target = (root / (path or "index.html")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            if "." in path.rsplit("/", 1)[-1]:
                return problem_response(404, "No such file.")
            target = root / "index.html"  # the app shell answers every in-app route
        cache = (
            "no-cache" if target.name in ("index.html", "sw.js", "manifest.webmanifest") else ("public, max-age=604800")
        )
        return FileResponse(target, headers={"Cache-Control": cache})
