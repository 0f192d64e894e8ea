"""The hop from the gateway to a service: a small HTTP/1.1 client with a keep-alive pool per service.

Chosen by measurement (tests/bench/gateway_bench.py): aiohttp's ClientSession costs ~117 µs of CPU per
request on the reference machine, this client ~40 µs, and the hop has to keep at least 45% of a trivial
endpoint's throughput. It speaks only what the hop needs: a request whose body is already in memory,
answers framed by Content-Length, chunked transfer coding or the end of the connection, and streams long
answers with flow control. Uploads that stream (chunked or large bodies) go through aiohttp (gateway.edge.proxy).

Failures are typed so that the proxy can answer: `ConnectFailed` (nothing was sent: safe to try again),
`Dropped` (the connection closed before an answer: only an idempotent request is sent again, once),
TimeoutError, and `BadAnswer` (not HTTP/1.x).
"""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

HEAD_LIMIT = 64 * 1024
HIGH_WATER = 256 * 1024
IDLE_SECONDS = 4.0  # uvicorn closes idle keep-alive connections after 5 s: retire ours first
MAX_IDLE_PER_SERVICE = 100


class HopError(Exception):
    pass


class ConnectFailed(HopError):
    pass


class Dropped(HopError):
    pass


class BadAnswer(HopError):
    pass


class Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self.paused = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def more(self) -> None:
        """Wait for more bytes; raise Dropped if the connection has closed."""
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        if self.closed:
            raise Dropped("the service closed the connection")
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    length: int | None  # the body's length when the answer says it
    framing: str  # "none" | "length" | "chunked" | "close"
    connection: Connection
    hop: "Hop"
    key: tuple[str, int]
    reusable: bool = True
    done: bool = False
    _left: int = field(default=0, repr=False)

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; the connection goes back to the pool once the body is complete."""
        try:
            if self.framing == "length":
                async for chunk in self._fixed(self.length or 0):
                    yield chunk
            elif self.framing == "chunked":
                async for chunk in self._chunked():
                    yield chunk
            elif self.framing == "close":
                async for chunk in self._until_close():
                    yield chunk
            self.done = True
        finally:
            self.release()

    async def _fixed(self, length: int) -> AsyncIterator[bytes]:
        connection, left = self.connection, length
        while left:
            if not connection.buffer:
                await connection.more()
            chunk = connection.take(min(left, len(connection.buffer)))
            left -= len(chunk)
            yield chunk

    async def _chunked(self) -> AsyncIterator[bytes]:
        connection = self.connection
        while True:
            line = await _line(connection)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as error:
                raise BadAnswer("a chunk size is not hexadecimal") from error
            if size == 0:
                while await _line(connection):  # trailers, up to the empty line
                    pass
                return
            async for chunk in self._fixed(size):
                yield chunk
            if await _line(connection):
                raise BadAnswer("a chunk does not end with CRLF")

    async def _until_close(self) -> AsyncIterator[bytes]:
        connection = self.connection
        self.reusable = False
        while True:
            if connection.buffer:
                yield connection.take(len(connection.buffer))
            try:
                await connection.more()
            except Dropped:
                if connection.buffer:
                    yield connection.take(len(connection.buffer))
                return

    def release(self) -> None:
        if self.done and self.reusable:
            self.hop.put_back(self.key, self.connection)
        else:
            self.connection.close()


async def _line(connection: Connection) -> bytes:
    while (end := connection.buffer.find(b"\r\n")) < 0:
        if len(connection.buffer) > HEAD_LIMIT:
            raise BadAnswer("a line of the answer is too long")
        await connection.more()
    line = connection.take(end + 2)
    return line[:-2]


def parse_head(head: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    lines = head.split(b"\r\n")
    status_line = lines[0]
    if not status_line.startswith(b"HTTP/1.") or len(status_line) < 12 or not status_line[9:12].isdigit():
        raise BadAnswer(f"not an HTTP/1.x status line: {status_line[:40]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise BadAnswer("a header line is malformed")
        headers.append((name.lower(), value.strip()))
    return int(status_line[9:12]), headers


def framing_of(method: str, status: int, headers: list[tuple[bytes, bytes]]) -> tuple[str, int | None]:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return "none", None
    length = None
    for name, value in headers:
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return "chunked", None
        if name == b"content-length":
            if not value.isdigit():
                raise BadAnswer("Content-Length is not a number")
            length = int(value)
    return ("length", length) if length is not None else ("close", None)


class Hop:
    """Keep-alive connections per service (host, port); one request at a time on each."""

    def __init__(self, connect_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self.idle: dict[tuple[str, int], list[Connection]] = {}

    async def _connect(self, key: tuple[str, int]) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(Connection, key[0], key[1])
        except (OSError, TimeoutError) as error:
            raise ConnectFailed(f"cannot connect to {key[0]}:{key[1]}: {error!r}") from error
        return connection

    def _pooled(self, key: tuple[str, int], max_idle: float) -> Connection | None:
        """The most recently used idle connection, if it has been idle for less than `max_idle`."""
        idle, now = self.idle.get(key), time.monotonic()
        while idle:
            connection = idle[-1]
            if connection.closed or connection.buffer or now - connection.idle_since >= IDLE_SECONDS:
                idle.pop().close()
                continue
            return idle.pop() if now - connection.idle_since < max_idle else None
        return None

    def put_back(self, key: tuple[str, int], connection: Connection) -> None:
        idle = self.idle.setdefault(key, [])
        if connection.closed or connection.buffer or len(idle) >= MAX_IDLE_PER_SERVICE:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    def close(self) -> None:
        for idle in self.idle.values():
            for connection in idle:
                connection.close()
        self.idle.clear()

    async def request(
        self,
        method: str,
        key: tuple[str, int],
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        *,
        idempotent: bool,
    ) -> Answer:
        """Send the request and read the answer's head; the body is read from the Answer.

        A non-idempotent request only takes a connection that was idle for under a second, so that it is
        very unlikely to meet one the service is just closing (it is never sent twice).
        """
        message = _request_bytes(method, key, target, headers, body)
        connection = self._pooled(key, IDLE_SECONDS if idempotent else 1.0)
        reused = connection is not None
        if connection is None:
            connection = await self._connect(key)
        assert connection.transport is not None
        try:
            connection.transport.write(message)
            head = await _head(connection)
            status, answer_headers = parse_head(head)
            while 100 <= status < 200:  # an informational answer: the real one follows
                status, answer_headers = parse_head(await _head(connection))
            framing, length = framing_of(method, status, answer_headers)
        except BaseException as error:
            connection.close()
            if reused and isinstance(error, Dropped):
                self._forget(key)  # the service may have restarted: its other idle connections are dead too
            raise
        reusable = not any(name == b"connection" and b"close" in value.lower() for name, value in answer_headers)
        answer = Answer(status, answer_headers, length, framing, connection, self, key, reusable=reusable)
        if framing == "none":
            answer.done = True
            answer.release()
        return answer

    def _forget(self, key: tuple[str, int]) -> None:
        for connection in self.idle.pop(key, []):
            connection.close()


async def _head(connection: Connection) -> bytes:
    while (end := connection.buffer.find(b"\r\n\r\n")) < 0:
        if len(connection.buffer) > HEAD_LIMIT:
            raise BadAnswer("the answer's head is too long")
        await connection.more()
    head = connection.take(end + 4)
    return head[:-4]


def _request_bytes(
    method: str, key: tuple[str, int], target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"host: " + f"{key[0]}:{key[1]}".encode()]
    lines += [name + b": " + value for name, value in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(b"content-length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
