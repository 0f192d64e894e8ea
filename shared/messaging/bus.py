"""The NATS JetStream bus: one connection per process, the streams, and publishing (consumers: `inbox`)."""

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from shared.messaging.catalogue import STREAMS
from shared.messaging.envelope import CloudEvent

log = logging.getLogger(__name__)

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "deadletter"


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
        """Connect, retrying until NATS answers, then make sure every stream exists."""
        delay = 0.2
        while self.nc is None:
            try:
                self.nc = await nats.connect(
                    servers=self.url.split(","),
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    name="deputies-in-the-grid",
                )
            except Exception as error:
                log.warning("NATS at %s not reachable yet: %s", self.url, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.js = self.nc.jetstream(timeout=5)
        await self._ensure_streams()
        self.ready.set()

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
        if self.js is None or not self.connected:
            raise ConnectionError("NATS is not connected")
        event_id = CloudEvent.model_validate_json(body).id
        await self.js.publish(subject, body, headers={**headers, "Nats-Msg-Id": event_id})
