"""The hop to the services over real HTTP: failures answer fast, bodies are bounded and stream, only
idempotent calls are retried, every answer carries the security headers, and filing is rate limited."""

import asyncio
import gzip
import time

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from devstack.supervisor import free_port
from tests.integration.test_gateway_harness import gateway_settings, migrated_app, served


def upstream_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(request: Request) -> JSONResponse:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": str(request.url.query),
                "size": size,
                "headers": dict(request.headers),
            },
            headers={"X-Upstream": "yes"},
        )

    @app.post("/cases", status_code=201)
    async def cases() -> dict:
        return {"id": "filed"}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks():
            yield b"first\n"
            await asyncio.sleep(0.8)
            yield b"second\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/big")
    async def big() -> PlainTextResponse:
        return PlainTextResponse("水" * 400_000)

    @app.get("/slow")
    async def slow() -> dict:
        await asyncio.sleep(3)
        return {}

    @app.get("/events")
    async def events() -> StreamingResponse:
        async def chunks():
            for index in range(3):
                yield f"data: {index}{' ' * 600}\n\n".encode()

        return StreamingResponse(chunks(), media_type="text/event-stream")

    return app


class DroppingServer:
    """Accepts connections and closes them at once, counting them: a service that keeps failing mid-way."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = free_port()
        self.server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> "DroppingServer":
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            await reader.read(1)
            writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def gateway(nats_server, databases, keys):
    async with served(upstream_app()) as upstream, DroppingServer() as dropping:
        settings = gateway_settings(
            databases,
            nats_server.url,
            keys,
            case_intake_url=upstream,
            station_scheduling_url=upstream,
            grid_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
            deputy_url=f"http://127.0.0.1:{dropping.port}",
            proxy_timeout_seconds=1.0,
            max_body_bytes=2 * 1024 * 1024,
            filing_per_minute=3,
            photos_per_minute=2,
        )
        app = await migrated_app(settings)
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            yield http, dropping


async def test_requests_and_answers_pass_through_with_the_request_id(gateway):
    http, _ = gateway
    answer = await http.get("/api/case-intake/echo", params={"q": "水 a&b"}, headers={"X-Request-ID": "trace-42"})
    assert answer.status_code == 200
    seen = answer.json()
    assert seen["path"] == "/echo" and seen["query"] == "q=%E6%B0%B4+a%26b"
    assert seen["headers"]["x-request-id"] == "trace-42" and seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert answer.headers["x-request-id"] == "trace-42" and answer.headers["x-upstream"] == "yes"
    assert answer.headers.get_list("x-request-id") == ["trace-42"]


async def test_a_service_that_is_down_answers_503_at_once(gateway):
    http, _ = gateway
    started = time.monotonic()
    answer = await http.get("/api/grid/grids")
    assert time.monotonic() - started < 1.0
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/service-unavailable") and answer.headers["retry-after"]


async def test_a_slow_service_answers_504_after_the_timeout(gateway):
    http, _ = gateway
    started = time.monotonic()
    answer = await http.get("/api/station-scheduling/slow")
    assert answer.status_code == 504 and time.monotonic() - started < 2.5
    assert answer.headers["content-type"] == "application/problem+json"


async def test_only_idempotent_methods_are_retried(gateway):
    http, dropping = gateway
    assert (await http.get("/api/deputy/deputies")).status_code == 503
    assert dropping.connections == 2
    assert (await http.post("/api/deputy/deputies", json={"code": "D1"})).status_code == 503
    assert dropping.connections == 3


async def test_bodies_over_the_limit_are_refused(gateway):
    http, _ = gateway
    too_big = await http.post("/api/case-intake/echo", content=b"x" * (2 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/problem+json"

    async def chunks(count: int):
        for _ in range(count):
            yield b"x" * 65536

    streamed_too_big = await http.post("/api/case-intake/echo", content=chunks(40))
    assert streamed_too_big.status_code == 413
    photo = await http.post("/api/case-intake/echo", content=chunks(20), headers={"Content-Type": "image/jpeg"})
    assert photo.status_code == 200 and photo.json()["size"] == 20 * 65536
    # the gateway's own routes take JSON and forms, not files
    own = await http.post(
        "/api/auth/login", content=b"{" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert own.status_code == 413 and own.headers["content-type"] == "application/problem+json"
    streamed_own = await http.post("/api/auth/login", content=chunks(20), headers={"Content-Type": "application/json"})
    assert streamed_own.status_code in (413, 422)  # refused once past the limit, without reading the rest


async def test_answers_stream_through(gateway):
    http, _ = gateway
    started = time.monotonic()
    async with http.stream("GET", "/api/case-intake/stream") as answer:
        lines = answer.aiter_lines()
        assert await anext(lines) == "first"
        first_at = time.monotonic() - started
        assert await anext(lines) == "second"
    assert first_at < 0.6
    big = await http.get("/api/case-intake/big")
    assert big.status_code == 200 and len(big.text) == 400_000


async def test_text_is_compressed_and_event_streams_are_not(gateway):
    http, _ = gateway
    big = await http.get("/api/case-intake/big", headers={"Accept-Encoding": "gzip"})
    assert big.headers["content-encoding"] == "gzip"
    shell = await http.get("/", headers={"Accept-Encoding": "gzip"})
    assert shell.headers["cache-control"] == "no-cache"
    async with http.stream("GET", "/api/case-intake/events", headers={"Accept-Encoding": "gzip"}) as events:
        raw = b"".join([chunk async for chunk in events.aiter_raw()])
    assert "content-encoding" not in events.headers
    assert raw.startswith(b"data: 0")
    assert gzip.decompress(gzip.compress(b"ok")) == b"ok"


async def test_every_answer_carries_the_security_headers_and_no_cors(gateway):
    http, _ = gateway
    for path in ("/", "/api/auth/jwks.json", "/api/case-intake/echo", "/api/grid/grids", "/api/nothing"):
        answer = await http.get(path, headers={"Origin": "https://evil.example"})
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        assert "access-control-allow-origin" not in answer.headers
    preflight = await http.options(
        "/api/case-intake/cases",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_a_nul_byte_in_a_path_is_404_never_500(gateway):
    http, _ = gateway
    for path in ("/%00", "/villager/%00.js", "/index.html%00", "/file/1%00"):
        answer = await http.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_filing_is_rate_limited_per_client_address(gateway):
    http, _ = gateway
    statuses = [(await http.post("/api/case-intake/cases", json={})).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = await http.post("/api/case-intake/cases", json={})
    assert refused.headers["content-type"] == "application/problem+json" and int(refused.headers["retry-after"]) > 0
    assert (await http.get("/api/case-intake/echo")).status_code == 200  # reading is not limited


async def test_photo_uploads_have_their_own_limit_per_client_address(gateway):
    http, _ = gateway
    statuses = [(await http.post("/api/case-intake/photos", content=b"x")).status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]
    assert (await http.post("/api/case-intake/cases", json={})).status_code == 201  # filing counts apart


async def test_cors_answers_only_the_configured_origins(nats_server, databases, keys):
    settings = gateway_settings(databases, nats_server.url, keys, cors_origins="https://pwa.example")
    app = await migrated_app(settings)
    async with served(app) as url, httpx.AsyncClient(base_url=url) as http:
        allowed = await http.options(
            "/api/auth/login",
            headers={"Origin": "https://pwa.example", "Access-Control-Request-Method": "POST"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://pwa.example"
        other = await http.get("/api/auth/jwks.json", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
