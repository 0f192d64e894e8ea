"""The hop to the services (gateway.edge.upstreams over aiohttp, and the proxy relaying its answers), against
servers that answer in every framing HTTP allows, and some that do not speak HTTP at all."""

import asyncio
import contextlib

import aiohttp
import pytest

from gateway.edge.proxy import ServiceProxy
from gateway.edge.upstreams import Dropped, Hop, Unavailable


class ScriptedServer:
    """A TCP server that answers each request with the next scripted reply, written in small pieces."""

    def __init__(self, replies: list[bytes], *, piece: int = 7, close_after: bool = False) -> None:
        self.replies = replies
        self.piece = piece
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.base_events.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                self.requests.append(head + (await reader.readexactly(length) if length else b""))
                reply = self.replies.pop(0)
                for start in range(0, len(reply), self.piece):
                    writer.write(reply[start : start + self.piece])
                    await writer.drain()
                    await asyncio.sleep(0)
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)


@contextlib.asynccontextmanager
async def hop_to(url: str):  # type: ignore[no-untyped-def]
    hop = Hop({"svc": [url]}, timeout_seconds=5, connect_timeout_seconds=2)
    await hop.start()
    try:
        yield hop
    finally:
        await hop.stop()


async def _get(hop: Hop, method: str = "GET", body: bytes | None = None) -> tuple[int, dict, bytes]:
    answer = await hop.send("svc", method, "/x?y=1", headers=[("x-request-id", "r1")], data=body)
    try:
        data = await answer.read()
    finally:
        answer.release()
    return answer.status, dict(answer.raw_headers), data


async def _through_proxy(hop: Hop, method: str = "GET") -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through the proxy's ASGI handler: (status, headers, body) as the client would get them."""
    proxy = ServiceProxy(hop, timeout_seconds=5, max_body_bytes=1024)
    sent: list[dict] = []
    scope = {"type": "http", "method": method, "headers": [], "query_string": b"", "client": ("127.0.0.1", 1)}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await proxy.handle(scope, receive, send, "svc", b"x", "127.0.0.1")
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


async def test_length_chunked_and_close_delimited_answers_are_read_whole():
    replies = [
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello",
        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
        b"4;ext=1\r\nWiki\r\n6\r\npedia \r\n0\r\nx-t: 1\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    ]
    server = ScriptedServer(replies)
    async with server as url, hop_to(url) as hop:
        assert await _get(hop) == (200, {b"content-length": b"5", b"content-type": b"text/plain"}, b"hello")
        status, headers, body = await _get(hop, "POST", b'{"a":1}')
        assert (status, body) == (201, b"Wikipedia ")
        assert (await _get(hop))[::2] == (204, b"")
        assert (await _get(hop))[::2] == (200, b"ok")
    assert server.connections == 1  # one keep-alive connection served all four
    first = server.requests[0]
    assert first.startswith(b"GET /x?y=1 HTTP/1.1\r\n") and b"\r\nx-request-id: r1\r\n" in first
    assert b"\r\ncontent-length: 7\r\n" in server.requests[1].lower() and server.requests[1].endswith(b'\r\n{"a":1}')


async def test_an_answer_delimited_by_closing_is_read_and_its_connection_not_reused():
    server = ScriptedServer([b"HTTP/1.0 200 OK\r\n\r\nuntil the end", b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n!"])
    server.close_after = True
    async with server as url, hop_to(url) as hop:
        assert (await _get(hop))[2] == b"until the end"
        assert (await _get(hop))[2] == b"!"
    assert server.connections == 2


async def test_connection_close_is_honoured():
    server = ScriptedServer(
        [
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb",
        ]
    )
    server.close_after = True
    async with server as url, hop_to(url) as hop:
        assert (await _get(hop))[2] == b"a"
        assert (await _get(hop))[2] == b"b"
    assert server.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_what_is_not_http_is_a_bad_answer(reply):
    async with ScriptedServer([reply]) as url, hop_to(url) as hop:
        with pytest.raises(aiohttp.ClientError) as raised:
            await _get(hop)
        assert not isinstance(raised.value, Unavailable)  # it answered, badly: not sent elsewhere
    async with ScriptedServer([reply]) as url, hop_to(url) as hop:
        status, headers, body = await _through_proxy(hop)
    assert status == 502 and headers[b"content-type"] == b"application/problem+json" and b"bad-gateway" in body


async def test_a_connection_closed_before_answering_is_dropped_and_refused_is_unavailable():
    async with ScriptedServer([]) as url, hop_to(url) as hop:  # accepts, reads nothing, closes
        with pytest.raises(Unavailable) as raised:
            await _get(hop)
        assert isinstance(raised.value.__cause__, Dropped)
    async with hop_to(url) as hop:  # nothing listens there any more: the connection is refused
        with pytest.raises(Unavailable) as raised:
            await _get(hop)
        assert isinstance(raised.value.__cause__, aiohttp.ClientConnectorError)
        status, headers, _ = await _through_proxy(hop)
    assert status == 503 and headers[b"content-type"] == b"application/problem+json"


async def test_only_an_idempotent_request_is_sent_again_after_a_drop():
    server = ScriptedServer([])
    async with server as url, hop_to(url) as hop:
        with pytest.raises(Unavailable):
            await _get(hop)
        assert server.connections == 2  # once more, to the only replica
        with pytest.raises(Unavailable):
            await _get(hop, "POST", b"{}")
        assert server.connections == 3  # never twice


async def test_a_pooled_connection_the_service_closed_is_not_used_again():
    first = ScriptedServer([b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n1"])
    async with first as url, hop_to(url) as hop:
        assert (await _get(hop))[2] == b"1"
        await asyncio.sleep(0.05)  # the server closed the idle connection
        assert first.server is not None
        port = first.server.sockets[0].getsockname()[1]
        first.server.close()
        second = ScriptedServer([b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n2"])
        second.server = await asyncio.start_server(second._handle, "127.0.0.1", port)
        try:
            assert (await _get(hop))[2] == b"2"
        finally:
            second.server.close()
    assert second.connections == 1


async def test_a_long_answer_streams_with_flow_control():
    size = 3 * 1024 * 1024
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size + b"x" * size
    server = ScriptedServer([reply], piece=65536)
    async with server as url, hop_to(url) as hop:
        answer = await hop.send("svc", "GET", "/")
        _, high_water = answer.content.get_read_buffer_limits()
        received, largest = 0, 0
        async for chunk in answer.content.iter_chunked(65536):
            received += len(chunk)
            largest = max(largest, answer.content.total_bytes - received)  # read from the socket, not yet by us
            await asyncio.sleep(0.001)  # a slow client
        answer.release()
    assert received == size
    assert largest < 2 * high_water < size  # reading pauses past the high-water mark: never the whole answer
