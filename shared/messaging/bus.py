"""The NATS JetStream bus: one connection per process, the streams, and publishing (consumers: `inbox`).

`publish` returns only when the stream the consumers read stored the message: it names the stream it expects
(JetStream refuses to store the message anywhere else) and checks the stream the acknowledgement names, and
it refuses to publish before the streams were made. An outbox row is marked sent only after that, so a
subject some other stream captures (a catch-all stream, a server set up by something else) keeps its rows
waiting instead of losing them.
"""

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from shared.messaging.catalogue import STREAMS, stream_of
from shared.messaging.envelope import CloudEvent

log = logging.getLogger(__name__)

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "deadletter"


class WrongStream(Exception):
    """JetStream stored a message in another stream than the one its consumers read."""


def stream_for(subject: str) -> str:
    """The stream that holds `subject`: the publishing service's, or the dead letters'."""
    if subject.startswith(f"{DEAD_LETTER_PREFIX}."):
        return DEAD_LETTER_STREAM
    try:
        return stream_of(subject)
    except StopIteration:
        raise ValueError(f"no stream holds the subject {subject!r}") from None


class Bus:
    """A NATS connection that keeps trying: a service starts and serves while NATS is away."""

    def __init__(self, url: str, *, replicas: int = 1) -> None:
        self.url = url
        self.replicas = replicas
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def connect(self) -> None:
        """Connect, retrying until NATS answers, then make sure every stream exists (retrying that too)."""
        delay = 0.2
        while not self.ready.is_set():
            try:
                if self.nc is None:
                    self.nc = await nats.connect(
                        servers=self.url.split(","),
                        allow_reconnect=True,
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=0.5,
                        connect_timeout=2,
                        name="deputies-in-the-grid",
                    )
                    self.js = self.nc.jetstream(timeout=5)
                await self._ensure_streams()
                self.ready.set()
            except Exception as error:
                log.warning("NATS at %s not ready yet: %s", self.url, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _ensure_streams(self) -> None:
        assert self.js is not None
        wanted = {name: [f"{prefix}.>"] for name, prefix in STREAMS.items()}
        wanted[DEAD_LETTER_STREAM] = [f"{DEAD_LETTER_PREFIX}.>"]
        for name, subjects in wanted.items():
            config = StreamConfig(name=name, subjects=subjects, storage=StorageType.FILE, num_replicas=self.replicas)
            try:
                await self.js.add_stream(config)
            except BadRequestError:
                await self.js.update_stream(config)

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()

    async def publish(self, subject: str, body: bytes, headers: dict[str, str]) -> None:
        """Publish and wait until the subject's own stream acknowledged it; raise otherwise."""
        if self.js is None or not self.connected or not self.ready.is_set():
            raise ConnectionError("NATS is not connected")
        stream = stream_for(subject)
        event_id = CloudEvent.model_validate_json(body).id
        ack = await self.js.publish(subject, body, stream=stream, headers={**headers, "Nats-Msg-Id": event_id})
        if ack.stream != stream:
            raise WrongStream(f"{subject} was stored in the stream {ack.stream!r}, not in {stream!r}")
