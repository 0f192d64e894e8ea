"""Forwarding /api/<service>/... to the services through one long-lived pooled aiohttp client.

aiohttp rather than httpx: httpx's async pool collapses under concurrent load (ARCHITECTURE.md, measured
by `make bench`).
"""

import aiohttp
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from shared.logs import REQUEST_ID_HEADER, request_id_var
from shared.problems import problem_response

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


class ServiceProxy:
    def __init__(self, timeout_seconds: float, max_body_bytes: int) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=2)
        self.max_body_bytes = max_body_bytes
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=400, limit_per_host=100, keepalive_timeout=60)
        self.session = aiohttp.ClientSession(connector=connector, timeout=self.timeout, auto_decompress=False)

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def forward(self, request: Request, base_url: str, path: str) -> Response:
        assert self.session is not None
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return problem_response(413, f"The body may be at most {self.max_body_bytes} bytes.")
        body = await request.body()
        if len(body) > self.max_body_bytes:
            return problem_response(413, f"The body may be at most {self.max_body_bytes} bytes.")
        headers = {key: value for key, value in request.headers.items() if key.lower() not in HOP_BY_HOP}
        headers[REQUEST_ID_HEADER] = request_id_var.get() or ""
        url = f"{base_url}/{path}"
        attempts = 2 if request.method in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            try:
                upstream = await self.session.request(
                    request.method,
                    url,
                    params=request.query_params.multi_items(),
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                )
                break
            except (aiohttp.ClientConnectionError, TimeoutError):
                if attempt + 1 == attempts:
                    return problem_response(503, "The service is not answering; please try again shortly.")
        response_headers = {key: value for key, value in upstream.headers.items() if key.lower() not in HOP_BY_HOP}
        return StreamingResponse(_relay(upstream), status_code=upstream.status, headers=response_headers)


async def _relay(upstream: aiohttp.ClientResponse):  # type: ignore[no-untyped-def]
    try:
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            yield chunk
    finally:
        upstream.release()
