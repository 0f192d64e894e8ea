"""The gateway's HTTP/1.1 client for the hop, against servers that answer in every framing HTTP allows."""

import asyncio
import contextlib

import pytest

from gateway import hop


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

    async def __aenter__(self) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return "127.0.0.1", self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)


async def _get(client: hop.Hop, key, method: str = "GET", body: bytes = b"") -> tuple[int, dict, bytes]:
    answer = await client.request(method, key, b"/x?y=1", [(b"x-request-id", b"r1")], body, idempotent=method != "POST")
    data = await answer.read()
    return answer.status, dict(answer.headers), data


async def test_length_chunked_and_close_delimited_answers_are_read_whole():
    replies = [
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello",
        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
        b"4;ext=1\r\nWiki\r\n6\r\npedia \r\n0\r\nx-t: 1\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    ]
    server = ScriptedServer(replies)
    client = hop.Hop(connect_timeout=2)
    async with server as key:
        assert await _get(client, key) == (200, {b"content-length": b"5", b"content-type": b"text/plain"}, b"hello")
        status, headers, body = await _get(client, key, "POST", b'{"a":1}')
        assert (status, body) == (201, b"Wikipedia ")
        assert (await _get(client, key))[::2] == (204, b"")
        assert (await _get(client, key))[::2] == (200, b"ok")
    assert server.connections == 1  # one keep-alive connection served all four
    first = server.requests[0]
    assert first.startswith(b"GET /x?y=1 HTTP/1.1\r\n") and b"\r\nx-request-id: r1\r\n" in first
    assert server.requests[1].endswith(b'content-length: 7\r\n\r\n{"a":1}')
    client.close()


async def test_an_answer_delimited_by_closing_is_read_and_its_connection_not_reused():
    server = ScriptedServer([b"HTTP/1.0 200 OK\r\n\r\nuntil the end", b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n!"])
    server.close_after = True
    client = hop.Hop(connect_timeout=2)
    async with server as key:
        assert (await _get(client, key))[2] == b"until the end"
        assert (await _get(client, key))[2] == b"!"
    assert server.connections == 2
    client.close()


async def test_connection_close_is_honoured():
    server = ScriptedServer(
        [
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb",
        ]
    )
    server.close_after = True
    client = hop.Hop(connect_timeout=2)
    async with server as key:
        assert (await _get(client, key))[2] == b"a"
        assert (await _get(client, key))[2] == b"b"
    assert server.connections == 2
    client.close()


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
    client = hop.Hop(connect_timeout=2)
    async with ScriptedServer([reply]) as key:
        with pytest.raises(hop.BadAnswer):
            await _get(client, key)
    client.close()


async def test_a_connection_closed_before_answering_is_dropped_and_refused_is_connect_failed():
    async with ScriptedServer([]) as key:  # accepts, reads nothing, closes
        with pytest.raises(hop.Dropped):
            await _get(hop.Hop(connect_timeout=2), key)
    with pytest.raises(hop.ConnectFailed):
        await _get(hop.Hop(connect_timeout=2), key)


async def test_a_pooled_connection_the_service_closed_is_not_used_again():
    client = hop.Hop(connect_timeout=2)
    first = ScriptedServer([b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n1"])
    async with first as key:
        assert (await _get(client, key))[2] == b"1"
    await asyncio.sleep(0.05)  # the server closed the idle connection
    host, port = key
    second = ScriptedServer([b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n2"])
    second.server = await asyncio.start_server(second._handle, host, port)
    try:
        assert (await _get(client, key))[2] == b"2"
    finally:
        second.server.close()
    client.close()


async def test_a_long_answer_streams_with_flow_control():
    size = 3 * 1024 * 1024
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size + b"x" * size
    client = hop.Hop(connect_timeout=2)
    async with ScriptedServer([reply], piece=65536) as key:
        answer = await client.request("GET", key, b"/", [], b"", idempotent=True)
        received, largest = 0, 0
        async for chunk in answer.chunks():
            received += len(chunk)
            largest = max(largest, len(answer.connection.buffer))
            await asyncio.sleep(0.001)  # a slow client
        assert received == size
        assert largest < 2 * hop.HIGH_WATER
    client.close()
