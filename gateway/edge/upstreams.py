"""The hop from the gateway to the services: one pooled aiohttp ClientSession, for every request the gateway
forwards and every call it makes for itself (Open311, live updates, the services' OpenAPI documents).

Chosen by measurement (tests/bench/gateway_bench.py, `make bench`; docs/adr/0002-the-hop.md): httpx 0.28's
async pool collapses under concurrent load (ADR 0001). The hand-written HTTP/1.1 client this replaced was
cheaper — a forwarded GET cost the gateway ~285–290 µs of CPU, now ~340–365 µs (aiohttp's client alone is
~110–125 µs a request, the bare streams it saved ~40) — for about the same throughput on the 2-CPU
development machine (~2,500–2,800 requests/s, 39–42% of the bare endpoint's; 44–48% before), and it was
protocol code of our own to keep correct. Caddy in front of the same endpoint forwards for ~135–140 µs a
request: an edge proxy that takes over forwarding is issue #21's to decide (the ADR says what it takes).

- A service may run as several replicas (`<SERVICE>_URL` lists them, separated by commas): requests take
  them in turn (round robin per request; the session keeps a keep-alive pool per replica). A replica that
  refuses the connection (or whose host does not answer the connect) was sent nothing, so any request, a
  POST too, goes on to the next one; that replica is then tried last for a few seconds.
- When a connection closes (or breaks) before an answer came, the request may have reached the service:
  only an idempotent one is sent again — to the next replica, or once more to the only one after a moment.
  aiohttp would on its own send an idempotent request once more over a new connection (RFC 9112 §9.3.1);
  the client middleware `_sent_once` turns such failures into `Dropped` before aiohttp sees them, so that
  these rules alone decide, and a POST is never sent twice.
- Idle connections are dropped after 4 s, before uvicorn closes them (5 s), so that a request rarely meets
  a connection the service is just closing.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DOWN_SECONDS = 3.0
AGAIN_AFTER_SECONDS = 0.05
KEEPALIVE_SECONDS = 4.0  # uvicorn closes idle keep-alive connections after 5 s: retire ours first


class Dropped(aiohttp.ClientConnectionError):
    """The connection closed or broke before an answer came: the request may have reached the service."""


class Unavailable(aiohttp.ClientConnectionError):
    """No replica took the request: each refused it, or dropped one that may not be sent again."""


async def _sent_once(request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
    """A client middleware: a broken connection becomes `Dropped`, which aiohttp does not retry by itself."""
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # nothing was sent
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        raise Dropped(str(error) or type(error).__name__) from error


class Upstreams:
    """The replicas of one service, taken in turn; one that refused a connection goes last for DOWN_SECONDS."""

    def __init__(self, urls: list[str]) -> None:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"a service URL must be http://host:port, not {url!r}")
        self.urls = urls
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


class Hop:
    """The session and the replicas of every service, by public segment (`case-intake`, ...)."""

    def __init__(self, urls: dict[str, list[str]], *, timeout_seconds: float, connect_timeout_seconds: float) -> None:
        self.upstreams = {segment: Upstreams(replicas) for segment, replicas in urls.items()}
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=connect_timeout_seconds)
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=400, limit_per_host=100, keepalive_timeout=KEEPALIVE_SECONDS, ttl_dns_cache=300
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            auto_decompress=False,  # answers go on as they came, compressed or not
            skip_auto_headers=("Accept-Encoding", "User-Agent"),
            cookie_jar=aiohttp.DummyCookieJar(),
            middlewares=(_sent_once,),
        )

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def send(
        self,
        segment: str,
        method: str,
        target: str,
        *,
        encoded: bool = True,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> aiohttp.ClientResponse:
        """The answer (its head read) from the first replica that gives one, by the rules above.

        `target` is the path and query, percent-encoded unless `encoded` is false. Raises Unavailable when no
        replica took the request, TimeoutError when one was too slow, another aiohttp.ClientError when an answer
        was broken. The caller releases the answer.
        """
        assert self.session is not None, "the hop has not started"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        upstreams = self.upstreams[segment]
        turns = upstreams.order()
        if idempotent and len(turns) == 1:
            turns = [0, 0]  # the only replica: once more, after a moment
        failure: Exception | None = None
        for position, index in enumerate(turns):
            if position and index == turns[position - 1]:
                await asyncio.sleep(AGAIN_AFTER_SECONDS)
            url = URL(upstreams.urls[index] + target, encoded=encoded)
            try:
                answer = await self.session.request(method, url, allow_redirects=False, **kwargs)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                log.info("%s: cannot connect: %r", upstreams.urls[index], error)
                upstreams.refused(index)
                failure = error
                continue
            except Dropped as error:
                log.info("%s: the connection closed before an answer: %s", upstreams.urls[index], error)
                failure = error
                if not idempotent:
                    break
                continue
            upstreams.answered(index)
            return answer
        raise Unavailable(f"{segment} did not take the request: {failure!r}") from failure

    @asynccontextmanager
    async def call(self, segment: str, method: str, path: str, **kwargs: Any) -> AsyncIterator[aiohttp.ClientResponse]:
        """A request the gateway makes for itself (Open311, live updates), released afterwards; `path` is
        percent-encoded here."""
        answer = await self.send(segment, method, path, encoded=False, **kwargs)
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
