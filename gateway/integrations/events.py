"""Case events for integrators, taken from the bus once and kept in the gateway's database.

Integrators never reach the bus: the gateway reads the CASE stream with a JetStream durable consumer (`gateway`,
with an inbox table, like every service: each event is applied once, in one transaction) and keeps each event
an integrator may have as an `IntegrationEvent` — redacted exactly like the public views: ids, kind, category,
status, grid (and its township), time; no tracking code, name, phone or description. In the same transaction it
adds one pending `WebhookDelivery` for every webhook whose API key's scope takes the event, so a delivery is
never lost or made twice whatever restarts. The feed (`feed.py`) reads the events by their `seq`; the
deliverer (`webhooks.py`) posts the deliveries.

A second durable consumer on the GRID stream keeps the grid tree (`KnownGrid`), to name a case's township.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deps import Gateway
from gateway.integrations.live import update_of
from gateway.integrations.scopes import EVENT_TYPES, in_scope
from gateway.models import ApiKey, IntegrationEvent, KnownGrid, Webhook, WebhookDelivery, inbox, outbox
from shared.db import is_sqlite
from shared.messaging.bus import Bus
from shared.messaging.catalogue import EventPayload, GridChanged, GridCreated, GridRetired
from shared.messaging.inbox import DurableConsumer
from shared.messaging.relay import OutboxRelay
from shared.projections import project_grid

log = logging.getLogger(__name__)

GRID_TYPES = (GridCreated.event_type, GridChanged.event_type, GridRetired.event_type)
CONSUMER = "gateway"


def public_body(event_id: str, event_type: str, data: dict[str, Any], township_id: str | None) -> dict[str, Any]:
    """The event as integrators get it (the webhook's body and the feed's `data`): a Standard Webhooks payload."""
    update = update_of({"type": event_type, "data": data})
    assert update is not None
    return {
        "id": event_id,
        "type": event_type,
        "timestamp": update.at,
        "data": {
            "case_id": update.case_id,
            "grid_id": update.grid_id,
            "township_id": township_id,
            "kind": update.kind,
            "category": update.category,
            "status": update.status,
            "at": update.at,
        },
    }


def _walk_up(steps: int) -> Select:
    """A grid and its ancestors up to `steps` levels, (id, level) for each, in one statement."""
    grids = [KnownGrid.__table__.alias(f"up{step}") for step in range(steps)]
    statement = select(*(column for grid in grids for column in (grid.c.id, grid.c.level))).select_from(grids[0])
    for upper, lower in zip(grids[1:], grids, strict=False):
        statement = statement.outerjoin(upper, upper.c.id == lower.c.parent_id)
    return statement.where(grids[0].c.id == bindparam("grid_id"))


TOWNSHIP_WALK = _walk_up(4)
"""Built once (SQLAlchemy reuses its compiled form): one round trip instead of one a level on every case event."""
INSERT_EVENT = insert(IntegrationEvent.__table__).returning(IntegrationEvent.__table__.c.seq)
_HOOKS, _KEYS = Webhook.__table__, ApiKey.__table__
LIVE_WEBHOOKS = (
    select(_HOOKS.c.id, _KEYS.c.event_types, _KEYS.c.townships)
    .join(_KEYS, _KEYS.c.id == _HOOKS.c.api_key_id)
    .where(_HOOKS.c.disabled_at.is_(None), _KEYS.c.revoked_at.is_(None))
)
"""The live webhooks with their key's scope (the columns `in_scope` reads): plain rows, no ORM objects to build."""
INSERT_DELIVERIES = insert(WebhookDelivery.__table__)


async def township_of(session: AsyncSession, grid_id: str | None) -> str | None:
    """Walk the known tree up from a grid to its township (None while the grid is not known)."""
    if grid_id is None:
        return None
    row = (await session.execute(TOWNSHIP_WALK, {"grid_id": grid_id})).first()
    if row is None:
        return None
    for step in range(4):
        grid_id, level = row[2 * step], row[2 * step + 1]
        if grid_id is None:
            return None
        if level == "township":
            return grid_id
    return None


async def _in_order(session: AsyncSession) -> None:
    """On PostgreSQL, writers of events take turns, so that `seq` grows in commit order and a feed that read up
    to some `seq` never misses a smaller one committed later. (SQLite has one writer at a time anyway.)"""
    if session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(hashlib.sha256(b"gateway:integration-events").digest()[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


async def on_case_event(session: AsyncSession, runtime: "IntegrationRuntime", payload: EventPayload) -> None:
    """Keep the redacted event and stage one delivery per webhook that takes it (the webhooks there are when the
    gateway takes the event in: the backlog a new durable consumer reads at its first start finds none)."""
    data = payload.model_dump(mode="json")
    if update_of({"type": payload.event_type, "data": data}) is None:
        return
    await _in_order(session)
    township = await township_of(session, data.get("grid_id"))
    if township is None:
        log.warning("integrations: the grid %s of a case event is not known (yet)", data.get("grid_id"))
    body = public_body(str(uuid.uuid4()), payload.event_type, data, township)
    at = datetime.fromisoformat(body["timestamp"])
    # A Core INSERT … RETURNING: no unit of work to flush on every case event (issue #21)
    row = {"event_id": body["id"], "type": payload.event_type, "township_id": township, "body": json.dumps(body)}
    seq = (await session.execute(INSERT_EVENT, {**row, "at": at})).scalar_one()
    now = runtime.gateway.clock.now()
    deliveries = [
        {
            "id": f"msg_{uuid.uuid4().hex}",
            "webhook_id": hook.id,
            "event_seq": seq,
            "event_type": payload.event_type,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for hook in (await session.execute(LIVE_WEBHOOKS)).all()
        if in_scope(hook, payload.event_type, township)  # type: ignore[arg-type]  # the key's columns it reads
    ]
    if deliveries:
        await session.execute(INSERT_DELIVERIES, deliveries)


async def on_grid_event(session: AsyncSession, _: Any, payload: GridCreated | GridChanged | GridRetired) -> None:
    await project_grid(session, KnownGrid.__table__, payload)


CONSUMED_STREAMS = ("CASE", "GRID")
"""The streams the gateway reads with durable consumers (its NATS user gets consumer rights on these only)."""


class IntegrationRuntime:
    """The gateway's bus connection, its two durable consumers (the live feed shares the connection) and the
    relay of its outbox (identity events: a person's erasure; sent rows are deleted, see personal_data)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        settings, maker = gateway.settings, gateway.maker
        self.bus = Bus.for_settings(settings, consumes=CONSUMED_STREAMS)
        common = {
            "context": self,
            "max_deliver": settings.consumer_max_deliver,
            "nak_delay": settings.consumer_nak_delay_seconds,
            "linger": settings.consumer_linger_seconds,
            "fetch_seconds": settings.consumer_fetch_seconds,
        }
        self.grids = DurableConsumer(
            self.bus,
            maker,
            inbox,
            name=CONSUMER,
            stream="GRID",
            handlers=dict.fromkeys(GRID_TYPES, on_grid_event),
            **common,
        )
        self.cases = DurableConsumer(
            self.bus,
            maker,
            inbox,
            name=CONSUMER,
            stream="CASE",
            handlers=dict.fromkeys(EVENT_TYPES, on_case_event),
            **common,
        )
        self.relay = OutboxRelay(
            maker,
            outbox,
            self.bus,
            gateway.signal,
            poll_seconds=settings.relay_poll_seconds,
            skip_locked=not is_sqlite(settings.database_url),
        )
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.bus.connect(), name="gateway-bus"),
            asyncio.create_task(self.relay.run(), name="gateway-relay"),
            asyncio.create_task(self.grids.run(), name="gateway-grids"),
            asyncio.create_task(self._cases_after_grids(), name="gateway-cases"),
        ]

    async def _cases_after_grids(self) -> None:
        """Cases are taken in once the grid tree has caught up, so that their townships are known."""
        while not self.grids.caught_up:
            await asyncio.sleep(0.2)
        await self.cases.run()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            while not task.done():  # nats-py's waits can swallow one cancellation: repeat it
                await asyncio.wait({task}, timeout=1)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.bus.close()
