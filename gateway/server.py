"""uvicorn's h11 protocol, writing each answer's head and first body part in one system call.

uvicorn writes the status line and headers, then the body, with a `transport.write` each: two send() calls
per answer where one would do. Sending is most of what the gateway's hop costs on loopback and small
machines (tests/bench/gateway_bench.py), so the gateway runs with `--http gateway.server:GatewayH11Protocol`
(devstack/supervisor.py). An informational answer (100 Continue) is never held back.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class CoalescingTransport:
    """Holds a written response head until the next write (or close), then sends both at once."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held = b""

    def write(self, data: bytes) -> None:
        if self._held:
            data, self._held = self._held + data, b""
        elif data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 1"):
            self._held = data
            return
        if data:
            self._transport.write(data)

    def _release(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            self._transport.write(held)

    def close(self) -> None:
        self._release()
        self._transport.close()

    def write_eof(self) -> None:
        self._release()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GatewayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport))  # type: ignore[arg-type]
