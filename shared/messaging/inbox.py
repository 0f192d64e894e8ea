"""Durable consumers with an inbox: each event is applied once, in the same transaction as its record in the
service's inbox table; failures are retried with a delay and parked on a dead-letter subject at the end."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.logs import REQUEST_ID_HEADER, request_id_var
from shared.messaging.bus import DEAD_LETTER_PREFIX, Bus
from shared.messaging.catalogue import parse
from shared.messaging.envelope import CloudEvent

log = logging.getLogger(__name__)

FETCH_BATCH = 50

Handler = Callable[[AsyncSession, Any, Any], Awaitable[None]]
"""`async (session, runtime, payload)`: applies one event inside the inbox transaction."""


class DurableConsumer:
    """One durable pull consumer per (consuming service, stream); replicas share it.

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

    async def run(self) -> None:
        await self.bus.ready.wait()
        subscription = await self._subscribe()
        while True:
            try:
                messages = await subscription.fetch(batch=FETCH_BATCH, timeout=1)
            except nats.errors.TimeoutError:
                self.caught_up = True  # nothing waiting: the projections have the backlog
                continue
            except Exception as error:
                log.warning("consumer %s on %s paused: %s", self.name, self.stream, error)
                await asyncio.sleep(0.5)
                continue
            await self.process_batch(messages)
            if 1 < len(messages) < FETCH_BATCH and self.linger:
                # Events arriving one at a time are applied at once; once they come faster than they are applied
                # (more than one was waiting), the next ones gather for `linger` seconds into one transaction.
                await asyncio.sleep(self.linger)

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
        async with self.maker() as session, session.begin():
            seen = await self._seen_among(session, [event.id for event in events])
            fresh: dict[str, tuple[CloudEvent, dict[str, str]]] = {}
            for event, event_headers in zip(events, headers, strict=True):
                if event.type in self.handlers and event.id not in seen:
                    fresh.setdefault(event.id, (event, event_headers))
            if not fresh:
                return 0
            await session.execute(self.inbox.insert(), [self._inbox_row(event) for event, _ in fresh.values()])
            for event, event_headers in fresh.values():
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

    def _inbox_row(self, event: CloudEvent) -> dict[str, Any]:
        return {"consumer": self.name, "event_id": event.id, "event_type": event.type, "received_at": datetime.now(UTC)}

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
