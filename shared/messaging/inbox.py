"""Durable consumers with an inbox: each event is applied once, in the same transaction as its record in the
service's inbox table; failures are retried with a delay and parked on a dead-letter subject at the end."""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.logs import REQUEST_ID_HEADER, request_id_var
from shared.messaging.bus import DEAD_LETTER_PREFIX, Bus
from shared.messaging.catalogue import parse
from shared.messaging.envelope import CloudEvent

log = logging.getLogger(__name__)

FETCH_BATCH = 50
STEADY = 4
"""Batches less than this many lingers apart are a steady flow: the consumer lingers after each."""
FIRST_FETCH_SECONDS = 1.0
"""How long the fetches wait until the first one finds nothing (the backlog at start applied: /readyz "events")."""

Handler = Callable[[AsyncSession, Any, Any], Awaitable[None]]
"""`async (session, runtime, payload)`: applies one event inside the inbox transaction."""


class DurableConsumer:
    """One durable pull consumer per (consuming service, stream); replicas share it.

    It long-polls: a fetch waits up to `fetch_seconds` (1 s until it first found nothing) but returns as soon as
    an event arrives, so a consumer at rest costs one request every `fetch_seconds`, and none is late for it.

    Each event's id goes into the service's inbox table in the same transaction as its effect, so a
    redelivered event is acknowledged and ignored. A failing handler gets a nak with a delay; after
    `max_deliver` attempts the event is parked on `deadletter.<consumer>.<type>` for an operator.
    """

    def __init__(
        self,
        bus: Bus,
        maker: async_sessionmaker[AsyncSession],
        inbox: Table,
        *,
        name: str,
        stream: str,
        handlers: dict[str, Handler],
        context: Any = None,
        max_deliver: int = 5,
        nak_delay: float = 0.5,
        ack_wait: float = 10.0,
        linger: float = 0.0,
        fetch_seconds: float = 5.0,
    ) -> None:
        self.bus = bus
        self.maker = maker
        self.inbox = inbox
        self.name = name
        self.stream = stream
        self.handlers = dict(handlers)  # its own copy: the module-level table stays as written
        self.caught_up = False
        self.created = asyncio.Event()
        """Set once its durable consumer exists on the server: from then on nothing published is missed, even on
        a stream that keeps a message only while some consumer still wants it (EPHEMERAL_STREAMS)."""
        self.context = context
        self.max_deliver = max_deliver
        self.nak_delay = nak_delay
        self.ack_wait = ack_wait  # how soon a message a dead replica had fetched goes to another
        self.linger = linger
        self.fetch_seconds = fetch_seconds
        self._fetching: asyncio.Future[list[Msg]] | None = None
        self._last_batch_at = -math.inf

    async def run(self) -> None:
        await self.bus.ready.wait()
        subscription = await self._subscribe()
        self.bus.when_reconnected(self._interrupt_fetch)
        while True:
            # A fetch returns as soon as one event is there (and with every one waiting then, up to a batch), so
            # its timeout only says how often an idle consumer asks again: rarely, once the backlog waiting at
            # start was applied (the first empty fetch, which comes soon, tells /readyz so).
            timeout = self.fetch_seconds if self.caught_up else FIRST_FETCH_SECONDS
            self._fetching = asyncio.ensure_future(subscription.fetch(batch=FETCH_BATCH, timeout=timeout))
            self._fetching.add_done_callback(_retrieved)
            try:
                await asyncio.wait({self._fetching})
                if self._fetching.cancelled():
                    continue  # NATS reconnected: the pull request may have died with the old connection
                messages = self._fetching.result()
            except nats.errors.TimeoutError:
                self.caught_up = True  # nothing waiting: the projections have the backlog
                continue
            except asyncio.CancelledError:
                self._fetching.cancel()
                raise
            except Exception as error:
                log.warning("consumer %s on %s paused: %s", self.name, self.stream, error)
                await asyncio.sleep(0.5)
                continue
            await self.process_batch(messages)
            # An event that comes alone is applied at once. Once they come steadily (more than one was waiting, or
            # this batch followed the last one within STEADY × linger), the next ones gather for `linger` seconds
            # into one transaction: a transaction's fixed cost (begin, commit, the session) is shared by the batch.
            now = time.monotonic()
            steady = len(messages) > 1 or now - self._last_batch_at < STEADY * self.linger
            self._last_batch_at = now
            if steady and len(messages) < FETCH_BATCH and self.linger:
                await asyncio.sleep(self.linger)

    def _interrupt_fetch(self) -> None:
        """After a reconnection, ask again at once: a pull request the server lost (it restarted, or the consumer's
        leader moved) would otherwise hold this consumer until its timeout."""
        if self._fetching is not None and not self._fetching.done():
            self._fetching.cancel()

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        assert self.bus.js is not None
        config = ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver + 1,
            filter_subjects=sorted(self.handlers),
        )
        while True:
            try:
                await self.bus.js.add_consumer(self.stream, config)
                subscription = await self.bus.js.pull_subscribe_bind(durable=self.name, stream=self.stream)
                self.created.set()
                return subscription
            except Exception as error:
                log.warning("consumer %s on %s not ready: %s", self.name, self.stream, error)
                await asyncio.sleep(1)

    async def process_batch(self, messages: list[Msg]) -> None:
        """Apply a fetched batch in one transaction (one inbox query, one commit). If any event in it fails, the
        transaction is rolled back and each event is applied on its own, so only the failing one is retried."""
        if len(messages) > 1:
            try:
                events = [CloudEvent.model_validate_json(message.data) for message in messages]
                await self.apply_batch(events, [message.headers or {} for message in messages])
            except Exception as error:
                log.info("consumer %s: batch of %s rolled back (%s); one by one", self.name, len(messages), error)
            else:
                for message in messages:
                    await message.ack()
                return
        for message in messages:
            await self.process(message)

    async def apply_batch(self, events: list[CloudEvent], headers: list[dict[str, str]]) -> int:
        """Apply, in order, the events the inbox does not have; returns how many were applied now."""
        handled: dict[str, tuple[CloudEvent, dict[str, str]]] = {}
        for event, event_headers in zip(events, headers, strict=True):
            if event.type in self.handlers:
                handled.setdefault(event.id, (event, event_headers))
        if not handled:
            return 0
        async with self.maker() as session, session.begin():
            # One statement records the events in the inbox and says which were not there yet: the seen ones are
            # left alone (ON CONFLICT DO NOTHING) and not returned.
            now = datetime.now(UTC)
            rows = [self._inbox_row(event, now) for event, _ in handled.values()]
            claimed = set((await session.execute(self._claim_statement(session), rows)).scalars())
            fresh = [handled[event_id] for event_id in handled if event_id in claimed]
            for event, event_headers in fresh:
                token = request_id_var.set(event_headers.get(REQUEST_ID_HEADER))
                try:
                    await self.handlers[event.type](session, self.context, parse(event))
                finally:
                    request_id_var.reset(token)
        return len(fresh)

    async def process(self, message: Msg) -> None:
        headers = message.headers or {}
        token = request_id_var.set(headers.get(REQUEST_ID_HEADER))
        try:
            event = CloudEvent.model_validate_json(message.data)
            await self.apply_once(event, headers)
        except Exception as error:
            await self._on_failure(message, error)
        else:
            await message.ack()
        finally:
            request_id_var.reset(token)

    async def apply_once(self, event: CloudEvent, headers: dict[str, str] | None = None) -> bool:
        """Apply the event unless the inbox has it; returns whether it was applied now."""
        try:
            return await self.apply_batch([event], [headers or {}]) == 1
        except IntegrityError:
            async with self.maker() as session:
                if await self._seen(session, event.id):  # a replica applied it first
                    return False
            raise

    def _inbox_row(self, event: CloudEvent, now: datetime) -> dict[str, Any]:
        return {"consumer": self.name, "event_id": event.id, "event_type": event.type, "received_at": now}

    def _claim_statement(self, session: AsyncSession) -> Insert:
        return _claim(self.inbox, session.get_bind().dialect.name)

    async def _seen(self, session: AsyncSession, event_id: str) -> bool:
        return bool(await self._seen_among(session, [event_id]))

    async def _seen_among(self, session: AsyncSession, event_ids: list[str]) -> set[str]:
        query = select(self.inbox.c.event_id).where(
            self.inbox.c.consumer == self.name, self.inbox.c.event_id.in_(event_ids)
        )
        return set((await session.execute(query)).scalars())

    async def _on_failure(self, message: Msg, error: Exception) -> None:
        attempts = message.metadata.num_delivered
        if attempts < self.max_deliver:
            log.warning("event redelivery %s/%s after error: %s", attempts, self.max_deliver, error)
            await message.nak(delay=self.nak_delay * attempts)
            return
        subject = f"{DEAD_LETTER_PREFIX}.{self.name}.{message.subject}"
        log.error("event parked on %s after %s attempts: %s", subject, attempts, error)
        assert self.bus.js is not None
        event_id = (message.headers or {}).get("Nats-Msg-Id", "")
        headers = {**(message.headers or {}), "Error": str(error)[:500], "Nats-Msg-Id": f"{self.name}.{event_id}"}
        await self.bus.js.publish(subject, message.data, headers=headers)
        await message.ack()


def _retrieved(fetch: asyncio.Future[list[Msg]]) -> None:
    """A fetch interrupted by a stop or a reconnection may end in an error nobody awaits: take it, unlogged."""
    if not fetch.cancelled():
        fetch.exception()


@cache
def _claim(inbox: Table, dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING RETURNING event_id: the events this consumer had not applied yet. On
    PostgreSQL a replica inserting the same event meanwhile makes this one wait for its commit, then skip it."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(inbox)
    return statement.on_conflict_do_nothing(index_elements=list(inbox.primary_key.columns)).returning(inbox.c.event_id)
