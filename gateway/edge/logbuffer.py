"""The gateway's log lines are buffered and written at most every half second (warnings and errors at once).

The gateway logs every request (shared.service.RequestContextMiddleware); a write system call per line was
a large share of the proxy's cost per request (tests/bench/gateway_bench.py). At worst the INFO lines of the
last half second are lost if the process dies; a warning or error flushes everything before it.
"""

import asyncio
import contextlib
import logging
import sys

FLUSH_SECONDS = 0.5


class BufferedStreamHandler(logging.StreamHandler):
    """A StreamHandler over a block-buffered copy of stderr that flushes on WARNING and when told to."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        stream = open(sys.stderr.fileno(), "w", buffering=256 * 1024, encoding="utf-8", closefd=False)  # noqa: SIM115
        super().__init__(stream)
        self.setFormatter(formatter)

    def flush(self) -> None:  # called by StreamHandler.emit after every line: only WARNING and up flush
        return None

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        if record.levelno >= logging.WARNING:
            self.flush_now()

    def flush_now(self) -> None:
        self.acquire()
        try:
            with contextlib.suppress(OSError, ValueError):
                self.stream.flush()
        finally:
            self.release()


def install() -> BufferedStreamHandler:
    """Swap the root logger's stderr handler (from shared.logs.configure) for a buffered one."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    handler = BufferedStreamHandler(formatter)
    root.handlers[:] = [handler]
    return handler


async def flush_periodically(handler: BufferedStreamHandler) -> None:
    try:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            handler.flush_now()
    finally:
        handler.flush_now()
