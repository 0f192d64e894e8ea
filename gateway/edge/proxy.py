"""Forwarding /api/<service>/... to the services, over the hop (gateway.edge.upstreams: one pooled aiohttp
session, the replicas' turns, what is sent again). The proxy is plain ASGI in front of FastAPI's router, so a
forwarded request costs no routing or dependency injection.

- A service that is down answers 503 problem+json at once (connection refused), or after the connect
  timeout (2 s) when its host does not answer; a slow answer becomes 504 after the total timeout (15 s; a
  streamed upload gets `upload_timeout_seconds`, 300 s, since a photo takes ~15 s at 150 kbit/s); an answer
  that is not HTTP, 502.
- Bodies: a declared Content-Length over the limit is refused before reading (413); small bodies are
  buffered (and may be sent again by the hop's rules), larger or chunked ones (photos) stream through, are
  cut off at the limit, and are never sent twice.
- Answers stream back (long ones with flow control: aiohttp stops reading while the client is slow);
  short ones are relayed in one piece. `X-Request-ID` travels both ways, with `X-Forwarded-For/Proto`.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge import lookups
from gateway.edge.clients import client_address
from gateway.edge.ratelimit import SlidingWindow, TooManyRequests
from gateway.edge.upstreams import Hop, Unavailable
from gateway.settings import RATE_LIMITED_POSTS, SERVICE_PATHS
from shared.i18n import N_
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
BUFFER_BYTES = 256 * 1024
OWN_BODY_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
UNAVAILABLE = (503, N_("The service is not answering; please try again shortly."))
TOO_SLOW = (504, N_("The service took too long to answer."), "timeout")
BROKEN = (502, N_("The service gave a broken answer."), "bad-gateway")
ONLY_THEIRS = ("Accept", "Content-Type")
"""Headers aiohttp would make up (`*/*`, application/octet-stream): a forwarded request carries the client's."""


class BodyTooLarge(Exception):
    """The client's body grew past the limit while streaming."""


class ClientGone(Exception):
    """The client disconnected before its body was read."""


class ServiceProxy:
    """Forwards one ASGI request to its service over the hop; `target` says which requests are forwarded."""

    def __init__(
        self, hop: Hop, *, timeout_seconds: float, max_body_bytes: int, upload_timeout_seconds: float = 300.0
    ) -> None:
        self.hop = hop
        self.timeout_seconds = timeout_seconds
        self.upload_timeout = aiohttp.ClientTimeout(total=upload_timeout_seconds, connect=hop.timeout.connect)
        self.max_body_bytes = max_body_bytes

    def target(self, path: str) -> tuple[str, str] | None:
        """(segment, rest of the path) when `path` is /api/<service>/..., else None."""
        if not path.startswith("/api/"):
            return None
        segment, _, rest = path[5:].partition("/")
        return (segment, rest) if segment in self.hop.upstreams else None

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, segment: str, raw_rest: bytes, client: str
    ) -> None:
        """Forward the request; `client` is the client's address as the gateway decided it (edge.clients)."""
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _problem(
                scope,
                receive,
                send,
                413,
                "The body may be at most {limit} bytes.",
                params={"limit": self.max_body_bytes},
            )
            return
        chunked = declared is None and any(key == b"transfer-encoding" for key, _ in scope["headers"])
        if chunked or (declared or 0) > BUFFER_BYTES:
            await self._stream_upload(scope, receive, send, segment, raw_rest, client)
            return
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            await _problem(
                scope,
                receive,
                send,
                413,
                "The body may be at most {limit} bytes.",
                params={"limit": self.max_body_bytes},
            )
            return
        except ClientGone:
            return
        await self._forward(scope, receive, send, segment, raw_rest, body, client)

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, segment: str, raw_rest: bytes, body: bytes, client: str
    ) -> None:
        """A body in memory: the hop may send it again by its rules; the answer is relayed as it comes."""
        started = False

        async def relay(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_seconds):
                answer = await self.hop.send(
                    segment,
                    scope["method"],
                    _target(scope, raw_rest),
                    headers=_forwarded_headers(scope, client),
                    data=body or None,
                    skip_auto_headers=ONLY_THEIRS,
                )
                try:
                    await _relay(scope["method"], answer, relay)
                finally:
                    answer.release()  # back to the pool when the body was read whole, else closed
        except Exception as error:  # a failure before the answer started becomes a problem answer
            outcome = _failure(error)
            if outcome:
                log.warning("forwarding to %s failed: %r", segment, error)
            if outcome and not started:
                await _problem(scope, receive, send, *outcome)

    async def _stream_upload(
        self, scope: Scope, receive: Receive, send: Send, segment: str, raw_rest: bytes, client: str
    ) -> None:
        """A streamed body (a photo): chunk by chunk, cut off at the limit; never sent twice (a replica that
        refuses the connection has read none of it, so the next one gets all of it)."""
        try:
            upstream = await self.hop.send(
                segment,
                scope["method"],
                _target(scope, raw_rest),
                idempotent=False,
                headers=_forwarded_headers(scope, client),
                data=self._stream_body(receive),
                timeout=self.upload_timeout,  # the body comes as fast as the villager's signal allows
                skip_auto_headers=ONLY_THEIRS,
            )
        except Exception as error:  # every failure becomes a problem answer
            outcome = _failure(error)
            if outcome:
                log.warning("streaming to %s failed: %r", segment, error)
                await _problem(scope, receive, send, *outcome)
            return
        try:
            await _relay(scope["method"], upstream, send)
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
    """What to answer for a failed forward: () = nothing (the client left)."""
    causes, cause = [], error
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__
    if any(isinstance(cause, BodyTooLarge) for cause in causes):
        return (413, N_("The body is larger than the gateway accepts."))
    if any(isinstance(cause, ClientGone) for cause in causes):
        return ()
    if isinstance(error, Unavailable):
        return UNAVAILABLE
    if isinstance(error, TimeoutError):
        return TOO_SLOW
    if isinstance(error, aiohttp.ClientError):
        return BROKEN
    raise error


async def _relay(method: str, answer: aiohttp.ClientResponse, send: Send) -> None:
    """The answer to the client: short ones in one piece (with their length), long ones as they come."""
    headers = [(name.lower(), value) for name, value in answer.raw_headers if name.lower() not in NOT_RETURNED]
    start = {"type": "http.response.start", "status": answer.status, "headers": headers}
    if method == "HEAD" or answer.status in (204, 304):
        headers += [(name.lower(), value) for name, value in answer.raw_headers if name.lower() == b"content-length"]
        await send(start)
        await send({"type": "http.response.body", "body": b""})
        return
    length = answer.content_length
    if length is not None and length <= BUFFER_BYTES:
        body = await answer.read()
        headers.append((b"content-length", str(len(body)).encode()))
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    await send(start)
    async for chunk in answer.content.iter_chunked(CHUNK_BYTES):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _target(scope: Scope, raw_rest: bytes) -> str:
    """The path and query for the service, percent-encoded as the client sent them."""
    query = scope.get("query_string")
    return "/" + raw_rest.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _forwarded_headers(scope: Scope, client: str) -> list[tuple[str, str]]:
    """The client's headers without hop-by-hop ones; X-Forwarded-For is one address, the client's as the gateway
    decided it (what a client sent in it never reaches a service)."""
    headers = [
        (key.decode("latin-1"), value.decode("latin-1")) for key, value in scope["headers"] if key not in NOT_FORWARDED
    ]
    headers.append(("x-request-id", request_id_var.get() or ""))
    headers.append(("x-forwarded-for", client))
    headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
    return headers


async def _problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    slug: str | None = None,
    params: dict[str, object] | None = None,
) -> None:
    await problem_response(status, detail, slug=slug, params=params)(scope, receive, send)


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
        client = client_address(scope, self.gateway.trusted_proxies)
        lookup = lookups.is_lookup(segment, rest, scope.get("query_string", b""))
        try:
            if limit := self._limit(scope["method"], segment, rest.rstrip("/")):
                window, detail = limit
                window.hit(client, detail)
            if lookup:
                self.gateway.code_lookups.admit(client)
        except TooManyRequests as error:
            await too_many(error)(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        raw_rest = raw_path.split(b"/", 3)[3] if raw_path.count(b"/") >= 3 else b""
        if lookup:
            send = self._noting_misses(send, client)
        await self.proxy.handle(scope, receive, send, segment, raw_rest, client)

    def _noting_misses(self, send: Send, client: str) -> Send:
        """A lookup by tracking code that the service answers 404 counts as a miss for the client."""

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 404:
                self.gateway.code_lookups.missed(client)
            await send(message)

        return noting

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
            await _problem(
                scope, receive, send, 413, "The body may be at most {limit} bytes.", params={"limit": OWN_BODY_BYTES}
            )
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
                await _problem(
                    scope,
                    receive,
                    send,
                    413,
                    "The body may be at most {limit} bytes.",
                    params={"limit": OWN_BODY_BYTES},
                )


def too_many(error: TooManyRequests):  # type: ignore[no-untyped-def]
    response = problem_response(429, error.detail, params=error.params, retry_after=error.retry_after)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def service_urls(settings) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {segment: settings.service_urls(segment) for segment in SERVICE_PATHS}
