"""Forwarding /api/<service>/... to the services.

The transport was chosen by measurement (tests/bench/gateway_bench.py, `make bench`): httpx's async pool
collapses under concurrent load (ARCHITECTURE.md); aiohttp costs ~117 µs of CPU a request; the gateway's
own keep-alive HTTP/1.1 client (gateway.hop) ~40 µs, which is what keeps the hop above 45% of a trivial
endpoint's throughput. Requests whose body is in memory (all but streamed uploads) take the hop; streamed
uploads (chunked, or over 256 KiB: photos) go through one long-lived pooled aiohttp session, which the
gateway also uses for its own calls. The proxy is plain ASGI in front of FastAPI's router, so a forwarded
request costs no routing or dependency injection.

- A service may run as several replicas (`<SERVICE>_URL` lists them, separated by commas): requests take
  them in turn (round robin per request, each replica with its own keep-alive pool). A replica that refuses
  the connection (or whose host does not answer the connect) was sent nothing, so any request, a POST too,
  goes on to the next one; that replica is then tried last for a few seconds.
- A service that is down answers 503 problem+json at once (connection refused), or after the connect
  timeout (2 s) when its host does not answer; a slow answer becomes 504 after the total timeout.
- Bodies: a declared Content-Length over the limit is refused before reading (413); small bodies are
  buffered, larger or chunked ones stream through and are cut off at the limit.
- Only idempotent requests are sent again when the connection closed before an answer came (to the next
  replica, or once more to the only one; also once more when the only one refused); a POST that may have
  reached a service is never sent twice.
- Answers stream back (long ones with flow control); short ones are relayed in one piece.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from yarl import URL

from gateway import hop
from gateway.edge.clients import client_address
from gateway.edge.ratelimit import SlidingWindow, TooManyRequests
from gateway.settings import RATE_LIMITED_POSTS, SERVICE_PATHS
from shared.logs import request_id_var
from shared.problems import problem_response

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        b"expect",
    }
)
NOT_FORWARDED = HOP_BY_HOP | {b"x-request-id", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}
NOT_RETURNED = HOP_BY_HOP | {b"x-request-id", b"server", b"date"}
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BUFFER_BYTES = 256 * 1024
OWN_BODY_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
UNAVAILABLE = (503, "The service is not answering; please try again shortly.")
DOWN_SECONDS = 3.0


class BodyTooLarge(Exception):
    """The client's body grew past the limit while streaming."""


class ClientGone(Exception):
    """The client disconnected before its body was read."""


class Upstreams:
    """The replicas of one service, taken in turn; one that refused a connection goes last for DOWN_SECONDS."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.addresses = [_address(url) for url in urls]
        self.down_until = [0.0] * len(urls)
        self._turn = 0

    def order(self) -> list[int]:
        """The replicas to try for one request: the next in turn first, those refusing lately last."""
        count = len(self.urls)
        if count == 1:
            return [0]
        start, self._turn = self._turn, (self._turn + 1) % count
        turns = [(start + step) % count for step in range(count)]
        now = time.monotonic()
        if any(self.down_until[index] > now for index in turns):
            turns.sort(key=lambda index: self.down_until[index] > now)
        return turns

    def refused(self, index: int) -> None:
        if len(self.urls) > 1:
            log.warning("replica %s refused the connection; the next one takes its requests", self.urls[index])
        self.down_until[index] = time.monotonic() + DOWN_SECONDS

    def answered(self, index: int) -> None:
        if self.down_until[index]:
            self.down_until[index] = 0.0


class ServiceProxy:
    """The hop's pools for every service; `handle` forwards one ASGI request."""

    def __init__(
        self,
        urls: dict[str, list[str]],
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        max_body_bytes: int,
    ) -> None:
        self.upstreams = {segment: Upstreams(replicas) for segment, replicas in urls.items()}
        self.timeout_seconds = timeout_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=connect_timeout_seconds)
        self.max_body_bytes = max_body_bytes
        self.hop = hop.Hop(connect_timeout_seconds)
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=400, limit_per_host=100, keepalive_timeout=4, ttl_dns_cache=300)
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def stop(self) -> None:
        self.hop.close()
        if self.session is not None:
            await self.session.close()

    def target(self, path: str) -> tuple[str, str] | None:
        """(segment, rest of the path) when `path` is /api/<service>/..., else None."""
        if not path.startswith("/api/"):
            return None
        segment, _, rest = path[5:].partition("/")
        return (segment, rest) if segment in self.upstreams else None

    async def open(
        self, segment: str, method: str, path: str, *, encoded: bool = False, **kwargs
    ) -> aiohttp.ClientResponse:  # type: ignore[no-untyped-def]
        """A request through the pooled aiohttp session to the next replica in turn, on to the next one when a
        replica refuses the connection (nothing was sent). `encoded`: `path` is already percent-encoded."""
        assert self.session is not None
        upstreams = self.upstreams[segment]
        turns = upstreams.order()
        for position, index in enumerate(turns):
            url = URL(upstreams.urls[index] + path, encoded=encoded)
            try:
                answer = await self.session.request(method, url, **kwargs)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError):
                upstreams.refused(index)
                if position == len(turns) - 1:
                    raise
                continue
            upstreams.answered(index)
            return answer
        raise AssertionError("a service has at least one replica")

    @asynccontextmanager
    async def call(self, segment: str, method: str, path: str, **kwargs) -> AsyncIterator[aiohttp.ClientResponse]:  # type: ignore[no-untyped-def]
        """A request the gateway makes for itself (Open311, live updates), released afterwards."""
        answer = await self.open(segment, method, path, **kwargs)
        try:
            yield answer
        finally:
            answer.release()

    async def get_json(self, segment: str, path: str, timeout: float = 5.0) -> dict:
        """A GET the gateway makes for itself (the services' OpenAPI documents)."""
        limits = aiohttp.ClientTimeout(total=timeout, connect=2)
        async with self.call(segment, "GET", path, timeout=limits) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def handle(self, scope: Scope, receive: Receive, send: Send, segment: str, raw_rest: bytes) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _problem(scope, receive, send, 413, f"The body may be at most {self.max_body_bytes} bytes.")
            return
        chunked = declared is None and any(key == b"transfer-encoding" for key, _ in scope["headers"])
        if chunked or (declared or 0) > BUFFER_BYTES:
            await self._stream_upload(scope, receive, send, segment, raw_rest)
            return
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            await _problem(scope, receive, send, 413, f"The body may be at most {self.max_body_bytes} bytes.")
            return
        except ClientGone:
            return
        await self._forward(scope, receive, send, segment, raw_rest, body)

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, segment: str, raw_rest: bytes, body: bytes
    ) -> None:
        method: str = scope["method"]
        idempotent = method in IDEMPOTENT_METHODS
        target = b"/" + raw_rest + (b"?" + scope["query_string"] if scope.get("query_string") else b"")
        headers = _forwarded_headers(scope)
        upstreams = self.upstreams[segment]
        turns = upstreams.order()
        if idempotent and len(turns) == 1:
            turns = [0, 0]  # the only replica: once more, after a moment
        started = False
        try:
            async with asyncio.timeout(self.timeout_seconds):
                answer = await self._send(upstreams, turns, method, target, headers, body, idempotent)
                if answer is None:
                    log.warning("service %s unavailable", segment)
                    await _problem(scope, receive, send, *UNAVAILABLE)
                    return
                started = True
                await _relay(answer, send)
        except TimeoutError:
            if not started:
                await _problem(scope, receive, send, 504, "The service took too long to answer.", "timeout")
        except (hop.BadAnswer, hop.Dropped) as error:
            log.warning("service %s gave a broken answer: %s", segment, error)
            if not started:
                await _problem(scope, receive, send, 502, "The service gave a broken answer.", "bad-gateway")

    async def _send(
        self,
        upstreams: Upstreams,
        turns: list[int],
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        idempotent: bool,
    ) -> hop.Answer | None:
        """The answer's head from the first replica that gives one, by the rules above; None = unavailable."""
        for position, index in enumerate(turns):
            if position and index == turns[position - 1]:
                await asyncio.sleep(0.05)
            try:
                answer = await self.hop.request(
                    method, upstreams.addresses[index], target, headers, body, idempotent=idempotent
                )
            except hop.ConnectFailed as error:
                log.info("%s: %s", upstreams.urls[index], error)
                upstreams.refused(index)
                continue
            except hop.Dropped as error:
                log.info("%s: %s", upstreams.urls[index], error)
                if not idempotent:
                    return None
                continue
            upstreams.answered(index)
            return answer
        return None

    async def _stream_upload(self, scope: Scope, receive: Receive, send: Send, segment: str, raw_rest: bytes) -> None:
        """A streamed body (a photo): through aiohttp, chunk by chunk, cut off at the limit; never retried."""
        path = "/" + raw_rest.decode("latin-1")
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        headers = [(key.decode("latin-1"), value.decode("latin-1")) for key, value in _forwarded_headers(scope)]
        try:  # a replica that refuses the connection has not read the body: the next one gets all of it
            upstream = await self.open(
                segment,
                scope["method"],
                path,
                encoded=True,
                headers=headers,
                data=self._stream_body(receive),
                allow_redirects=False,
            )
        except Exception as error:  # every failure becomes a problem answer
            outcome = _failure(error)
            if outcome:
                log.warning("streaming to %s failed: %r", segment, error)
                await _problem(scope, receive, send, *outcome)
            return
        try:
            headers_out = [(k.lower(), v) for k, v in upstream.raw_headers if k.lower() not in NOT_RETURNED]
            await send({"type": "http.response.start", "status": upstream.status, "headers": headers_out})
            async for chunk in upstream.content.iter_chunked(CHUNK_BYTES):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            upstream.release()

    async def _read_body(self, receive: Receive) -> bytes:
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    async def _stream_body(self, receive: Receive) -> AsyncIterator[bytes]:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def _failure(error: Exception) -> tuple:
    """What to answer for a failed streamed upload: () = nothing (the client left)."""
    cause = error.__cause__ if isinstance(error, aiohttp.ClientError) else error
    if isinstance(cause, BodyTooLarge) or isinstance(error, BodyTooLarge):
        return (413, "The body is larger than the gateway accepts.")
    if isinstance(cause, ClientGone) or isinstance(error, ClientGone):
        return ()
    if isinstance(error, aiohttp.ClientConnectionError):
        return UNAVAILABLE
    if isinstance(error, TimeoutError):
        return (504, "The service took too long to answer.", "timeout")
    if isinstance(error, aiohttp.ClientError):
        return (502, "The service gave a broken answer.", "bad-gateway")
    raise error


async def _relay(answer: hop.Answer, send: Send) -> None:
    headers = [(name, value) for name, value in answer.headers if name not in NOT_RETURNED]
    start = {"type": "http.response.start", "status": answer.status, "headers": headers}
    if answer.framing == "none":
        headers += [(name, value) for name, value in answer.headers if name == b"content-length"]
        await send(start)
        await send({"type": "http.response.body", "body": b""})
        return
    if answer.framing == "length" and (answer.length or 0) <= BUFFER_BYTES:
        body = await answer.read()
        headers.append((b"content-length", str(len(body)).encode()))
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return
    if answer.framing == "length":
        headers.append((b"content-length", str(answer.length).encode()))
    await send(start)
    chunks = answer.chunks()
    try:
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        await chunks.aclose()  # the connection goes back to the pool, or is closed if the body was cut short
    await send({"type": "http.response.body", "body": b""})


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"a service URL must be http://host:port, not {url!r}")
    return parts.hostname, parts.port or 80


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _forwarded_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(key, value) for key, value in scope["headers"] if key not in NOT_FORWARDED]
    headers.append((b"x-request-id", (request_id_var.get() or "").encode()))
    headers.append((b"x-forwarded-for", (scope.get("client") or ("", 0))[0].encode()))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    return headers


async def _problem(
    scope: Scope, receive: Receive, send: Send, status: int, detail: str, slug: str | None = None
) -> None:
    await problem_response(status, detail, slug=slug)(scope, receive, send)


class ProxyDispatch:
    """ASGI: /api/<service>/... goes to the proxy (after the filing rate limit); the rest to the app."""

    def __init__(self, app: ASGIApp, proxy: ServiceProxy, gateway) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.proxy = proxy
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.proxy.target(scope["path"]) if scope["type"] == "http" else None
        if target is None:
            await self._own(scope, receive, send)
            return
        segment, rest = target
        if limit := self._limit(scope["method"], segment, rest.rstrip("/")):
            window, detail = limit
            try:
                window.hit(client_address(scope, self.gateway.trusted_proxies), detail)
            except TooManyRequests as error:
                await too_many(error)(scope, receive, send)
                return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        raw_rest = raw_path.split(b"/", 3)[3] if raw_path.count(b"/") >= 3 else b""
        await self.proxy.handle(scope, receive, send, segment, raw_rest)

    def _limit(self, method: str, segment: str, rest: str) -> tuple[SlidingWindow, str] | None:
        """The per-address limit on anonymous writes that cost the most: filing cases and uploading photos."""
        limited = RATE_LIMITED_POSTS.get((segment, f"/{rest}")) if method == "POST" else None
        if limited is None:
            return None
        name, detail = limited
        return getattr(self.gateway.limits, name), detail

    async def _own(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The gateway's own routes take bodies of at most OWN_BODY_BYTES (JSON and forms, never files)."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > OWN_BODY_BYTES:
            await _problem(scope, receive, send, 413, f"The body may be at most {OWN_BODY_BYTES} bytes.")
            return
        size, started = 0, False

        async def counting_receive() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > OWN_BODY_BYTES:
                raise BodyTooLarge
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, noting_send)
        except BodyTooLarge:
            if not started:
                await _problem(scope, receive, send, 413, f"The body may be at most {OWN_BODY_BYTES} bytes.")


def too_many(error: TooManyRequests):  # type: ignore[no-untyped-def]
    response = problem_response(429, error.detail, retry_after=error.retry_after)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def service_urls(settings) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {segment: settings.service_urls(segment) for segment in SERVICE_PATHS}
