"""The NATS JetStream bus: one connection per process, the streams, and publishing (consumers: `inbox`).

`publish` returns only when the stream the consumers read stored the message: it names the stream it expects
(JetStream refuses to store the message anywhere else) and checks the stream the acknowledgement names, and
it refuses to publish before the streams were made. An outbox row is marked sent only after that, so a
subject some other stream captures (a catch-all stream, a server set up by something else) keeps its rows
waiting instead of losing them.

Each process connects as its own NATS user (NATS_USER, NATS_PASSWORD; the permissions are in
`shared.messaging.permissions`), with its own inbox prefix, and over TLS when NATS_TLS_CA_FILE is set. A
service creates or updates its own stream only; the streams it consumes and the dead letters it creates when
they are missing and never changes (their publishers set their configuration).
"""

import asyncio
import logging
import ssl
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from shared.config import Settings
from shared.messaging.catalogue import EPHEMERAL_STREAMS, STREAMS, stream_of
from shared.messaging.envelope import CloudEvent
from shared.messaging.permissions import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, inbox_prefix, own_streams

log = logging.getLogger(__name__)

__all__ = [
    "DEAD_LETTER_PREFIX",
    "DEAD_LETTER_STREAM",
    "Bus",
    "WrongStream",
    "connect_options",
    "stream_for",
    "without_credentials",
]


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


def connect_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of `nats.connect` for a process's own user: servers, user and password, its
    inbox prefix, and TLS first (verified against NATS_TLS_CA_FILE) when that is set."""
    options: dict[str, Any] = {"servers": [url.strip() for url in settings.nats_url.split(",") if url.strip()]}
    if settings.nats_user:
        options |= {
            "user": settings.nats_user,
            "password": settings.nats_password.get_secret_value(),
            "inbox_prefix": inbox_prefix(settings.nats_user),
        }
    if settings.nats_tls_ca_file is not None:
        options |= {"tls": ssl.create_default_context(cafile=settings.nats_tls_ca_file), "tls_handshake_first": True}
    return options


def without_credentials(urls: str) -> str:
    """NATS URLs as they may be logged: any user and password in them left out."""
    shown = []
    for url in urls.split(","):
        parts = urlsplit(url.strip())
        host = parts.netloc.rpartition("@")[2]
        shown.append(urlunsplit(parts._replace(netloc=host)))
    return ",".join(shown)


class Bus:
    """A NATS connection that keeps trying: a service starts and serves while NATS is away.

    `owned` are the streams this connection creates or updates: None for every stream (a tool with the
    operator's user), else a service's own stream; `consumed` the streams it creates only when missing (the
    dead-letter stream is always one)."""

    def __init__(
        self,
        url: str,
        *,
        replicas: int = 1,
        options: dict[str, Any] | None = None,
        owned: Collection[str] | None = None,
        consumed: Collection[str] = (),
    ) -> None:
        self.url = url
        self.replicas = replicas
        self.options = options or {"servers": url.split(",")}
        self.owned = owned
        self.consumed = [*consumed, DEAD_LETTER_STREAM]
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.ready = asyncio.Event()
        self._on_reconnect: list[Callable[[], None]] = []

    @classmethod
    def for_settings(cls, settings: Settings, consumes: Collection[str] = ()) -> "Bus":
        """The bus of one service process: its own user, its own stream, the streams it consumes. Without a
        user of its own (a server without authentication) it makes every stream, as a tool would."""
        return cls(
            settings.nats_url,
            replicas=settings.nats_stream_replicas,
            options=connect_options(settings),
            owned=None if not settings.nats_user else own_streams(settings.service_name),
            consumed=consumes,
        )

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
                        **self.options,
                        allow_reconnect=True,
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=0.5,
                        connect_timeout=2,
                        name="deputies-in-the-grid",
                        error_cb=self._on_error,
                        reconnected_cb=self._on_reconnected,
                    )
                    self.js = self.nc.jetstream(timeout=5)
                await self._ensure_streams()
                self.ready.set()
            except Exception as error:
                log.warning("NATS at %s not ready yet: %s", without_credentials(self.url), error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def when_reconnected(self, callback: Callable[[], None]) -> None:
        """Call `callback` each time the connection comes back (a consumer asks for events again at once)."""
        self._on_reconnect.append(callback)

    async def _on_reconnected(self) -> None:
        for callback in self._on_reconnect:
            callback()

    async def _on_error(self, error: Exception) -> None:
        # A permissions violation is the server refusing something this process's user may not do (a wrong
        # NATS_USER, or a table that misses a subject): worth an operator's look.
        log.warning("NATS: %s", error or type(error).__name__)

    async def _ensure_streams(self) -> None:
        assert self.js is not None
        owned = [*STREAMS, DEAD_LETTER_STREAM] if self.owned is None else self.owned
        for name in dict.fromkeys([*owned, *self.consumed]):
            subjects = [f"{STREAMS.get(name, DEAD_LETTER_PREFIX)}.>"]
            retention = RetentionPolicy.INTEREST if name in EPHEMERAL_STREAMS else RetentionPolicy.LIMITS
            config = StreamConfig(
                name=name, subjects=subjects, storage=StorageType.FILE, num_replicas=self.replicas, retention=retention
            )
            try:
                await self.js.add_stream(config)
            except BadRequestError:
                if name not in owned:
                    continue  # there with another configuration: its publisher's to set, not this service's
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
