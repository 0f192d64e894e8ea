"""Live updates: GET /api/live streams case events as Server-Sent Events, fed by a core NATS subscription
to `case.>` (no JetStream consumer: a live view wants what happens now; on reconnect the client reloads).
Integrators get events another way (webhooks and a resumable feed: gateway.integrations.events).

Each stream gets only what its caller may see — a deputy the cases routed to them, an agency officer the
cases referred to their organisation, the office and station staff every case, a villager their own cases
(and anyone the cases whose tracking codes they hold) — and every update is reduced to ids, kind,
category, status and time: no description, no names, no phone numbers.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event
from nats.aio.msg import Msg

from gateway.deps import Gateway
from gateway.edge.clients import client_address
from gateway.edge.upstreams import Hop
from shared.auth import Principal, Role
from shared.errors import Unauthorized
from shared.logs import REQUEST_ID_HEADER, request_id_var
from shared.messaging.bus import Bus
from shared.messaging.catalogue import CaseAssigned, CaseAssignedV2, CaseSubmitted, CaseSubmittedV2
from shared.problems import responses
from shared.types import EntityId, TrackingCodeText

log = logging.getLogger(__name__)

SUBJECT = "case.>"
EVENT_SCHEMA = {
    "description": "One event of the stream (before OpenAPI 3.2, `schema` describes each event); data is JSON",
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["ready", "case", "expired", "closing", "overflow"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "description": "The case event's id (on `case` events)"},
        "retry": {"type": "integer", "minimum": 0},
    },
}
STAFF = (Role.npc_office, Role.station_staff)
SUPERSEDED = frozenset({CaseSubmitted.event_type, CaseAssigned.event_type})
"""v1 of a filing and a routing, published beside their v2 only while CASE_PUBLISH_V1_EVENTS is on: the feed
reads the v2, so that each filing is news once."""


@dataclass(frozen=True)
class CaseUpdate:
    """What a live stream says about a case event; `deputies` and `organisation` only steer the filter."""

    event_id: str
    type: str
    case_id: str
    tracking_code: str | None
    grid_id: str | None
    kind: str | None
    category: str | None
    status: str | None
    at: str | None
    deputies: frozenset[str] = frozenset()
    organisation: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "case_id": self.case_id,
            "tracking_code": self.tracking_code,
            "grid_id": self.grid_id,
            "kind": self.kind,
            "category": self.category,
            "status": self.status,
            "at": self.at,
        }


def update_of(envelope: dict[str, Any]) -> CaseUpdate | None:
    """Reduce a CloudEvent of the CASE stream to a CaseUpdate (None if it names no case)."""
    data = envelope.get("data") or {}
    case_id = data.get("case_id")
    if not isinstance(case_id, str):
        return None
    event_type = str(envelope.get("type", ""))
    if event_type in SUPERSEDED:
        return None
    deputies = data.get("assigned_deputy_ids") or data.get("deputy_ids") or data.get("mediator_deputy_ids") or []
    if "to_status" in data:
        status = data["to_status"]
    elif event_type == CaseSubmittedV2.event_type:
        status = "assigned" if data.get("assigned_deputy_ids") else "submitted"
    elif event_type == CaseAssignedV2.event_type:
        status = "assigned"
    else:
        status = None
    return CaseUpdate(
        event_id=str(envelope.get("id", "")),
        type=event_type,
        case_id=case_id,
        tracking_code=data.get("tracking_code"),
        grid_id=data.get("grid_id"),
        kind=data.get("kind"),
        category=data.get("category"),
        status=status,
        at=data.get("at") or data.get("submitted_at") or envelope.get("time"),
        deputies=frozenset(deputy for deputy in deputies if isinstance(deputy, str)),
        organisation=data.get("organisation"),
    )


NOTE_EVENT = "case.case.noted"


@dataclass(eq=False)
class Subscriber:
    principal: Principal | None
    case_ids: set[str]
    queue: asyncio.Queue[CaseUpdate | None]
    overflowed: bool = False
    seen: set[str] = field(default_factory=set)

    def wants(self, update: CaseUpdate) -> bool:
        principal = self.principal
        if update.type.startswith(NOTE_EVENT) and not (principal and principal.has(*STAFF, Role.deputy)):
            return False  # internal notes are news only for those handling cases
        if update.case_id in self.case_ids:
            return True
        if principal is None:
            return False
        if principal.has(*STAFF):
            return True
        if principal.deputy_id and principal.has(Role.deputy) and principal.deputy_id in update.deputies:
            self.case_ids.add(update.case_id)  # follow the case even if a later event names other deputies
            return True
        if (
            principal.has(Role.agency_officer)
            and principal.organisation
            and update.organisation == principal.organisation
        ):
            self.case_ids.add(update.case_id)
            return True
        return False

    def offer(self, update: CaseUpdate | None) -> None:
        try:
            self.queue.put_nowait(update)
        except asyncio.QueueFull:
            self.overflowed = True  # the stream ends with `overflow`; the client reconnects and reloads


class LiveHub:
    """Fans case events out to the open streams, from a core subscription to `case.>` on the gateway's one
    NATS connection (the bus of gateway.integrations.events)."""

    def __init__(self, bus: Bus, queue_size: int = 200) -> None:
        self.bus = bus
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._subscribe(), name="live-nats")

    async def _subscribe(self) -> None:
        await self.bus.ready.wait()
        assert self.bus.nc is not None
        await self.bus.nc.subscribe(SUBJECT, cb=self._on_message)
        self.ready.set()

    async def stop(self) -> None:
        for subscriber in list(self.subscribers):
            subscriber.offer(None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def connected(self) -> bool:
        return self.bus.connected

    async def _on_message(self, message: Msg) -> None:
        if not self.subscribers:  # nobody listening: not worth decoding
            return
        try:
            update = update_of(json.loads(message.data))
        except (ValueError, TypeError):
            log.warning("live updates: an event on %s is not JSON", message.subject)
            return
        if update is None:
            return
        for subscriber in list(self.subscribers):
            if subscriber.wants(update):
                subscriber.offer(update)

    def subscribe(self, principal: Principal | None, case_ids: set[str]) -> Subscriber:
        subscriber = Subscriber(principal, case_ids, asyncio.Queue(self.queue_size))
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)


def _sse(event: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_sse_event(event=event, data_str=payload, id=event_id)


async def _stream(
    hub: LiveHub, subscriber: Subscriber, expires_at: datetime | None, heartbeat: float
) -> AsyncIterator[bytes]:
    try:
        yield format_sse_event(retry=3000)
        yield _sse("ready", {"cases": len(subscriber.case_ids), "nats": hub.connected})
        while True:
            timeout = heartbeat
            if expires_at is not None:
                left = (expires_at - datetime.now(UTC)).total_seconds()
                if left <= 0:
                    yield _sse("expired", {"detail": "The access token expired; reconnect with a fresh one."})
                    return
                timeout = min(timeout, left)
            try:
                update = await asyncio.wait_for(subscriber.queue.get(), timeout)
            except TimeoutError:
                yield format_sse_event(comment="keepalive")
                continue
            if update is None:
                yield _sse("closing", {"detail": "The gateway is stopping; reconnect shortly."})
                return
            yield _sse("case", update.public(), update.event_id)
            if subscriber.overflowed:
                yield _sse("overflow", {"detail": "Updates came faster than they could be sent; reload."})
                return
    finally:
        hub.unsubscribe(subscriber)


class CaseLookup:
    """Asks case intake (through the pooled client, with the caller's own token) which cases are theirs."""

    def __init__(self, hop: Hop) -> None:
        self.hop = hop

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {REQUEST_ID_HEADER: request_id_var.get() or ""}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def _get(self, path: str, token: str | None) -> tuple[int, Any]:
        try:
            async with self.hop.call("case-intake", "GET", path, headers=self._headers(token)) as answer:
                return answer.status, (await answer.json() if answer.status == 200 else None)
        except Exception as error:
            log.warning("live updates: case intake unavailable: %r", error)
            return 503, None

    async def own_cases(self, token: str) -> set[str]:
        status, body = await self._get("/cases?limit=200", token)
        return {item["id"] for item in body["items"]} if status == 200 else set()

    async def readable(self, case_id: str, token: str | None) -> bool:
        return token is not None and (await self._get(f"/cases/{case_id}", token))[0] == 200

    async def by_tracking_code(self, code: str) -> tuple[int, str | None]:
        """Case intake's answer (200, 404, …) and the case's id when it found one."""
        status, body = await self._get(f"/cases/track/{code}", None)
        return status, (body["id"] if status == 200 else None)


router = APIRouter(tags=["live"])


@router.get(
    "/api/live",
    operation_id="live-stream",
    summary="Live case updates (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        200: {"description": "An event stream", "content": {"text/event-stream": {"schema": EVENT_SCHEMA}}},
        **responses(401, 422),
    },
)
async def live(
    request: Request,
    access_token: Annotated[str | None, Query(max_length=4096, description="When no header can be sent")] = None,
    case: Annotated[list[EntityId], Query(max_length=20, description="Case ids of the caller's to follow")] = [],  # noqa: B006
    track: Annotated[list[TrackingCodeText], Query(max_length=10, description="Tracking codes to follow")] = [],  # noqa: B006
) -> StreamingResponse:
    """Case events as they happen, filtered for the caller and stripped of personal data.

    A deputy gets the cases of their grids, an agency officer those referred to their organisation,
    the office and station staff all, a villager their own; anyone can follow tracking codes. Events:
    `ready`, `case` (with `id:` = event id), `expired` (reconnect with a fresh token), `closing`,
    `overflow`; a comment line every 15 s keeps proxies from closing the stream.
    """
    state = request.app.state
    token = access_token
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    principal, expires_at = None, None
    if token:
        principal, claims = state.gateway.verifier.verify_claims(token)
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    elif not track:
        raise Unauthorized("Sign in, or name the tracking codes to follow.")
    client = client_address(request.scope, state.gateway.trusted_proxies)
    case_ids = await _initial_cases(CaseLookup(state.hop), principal, token, case, track, state.gateway, client)
    hub: LiveHub = state.hub
    subscriber = hub.subscribe(principal, case_ids)
    return StreamingResponse(
        _stream(hub, subscriber, expires_at, state.settings.live_heartbeat_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


async def _initial_cases(
    lookup: CaseLookup,
    principal: Principal | None,
    token: str | None,
    case: list[str],
    track: list[str],
    gateway: Gateway,
    client: str,
) -> set[str]:
    case_ids: set[str] = set()
    if principal is not None and principal.has(Role.villager):
        case_ids |= await lookup.own_cases(token or "")
    for case_id in case:
        if case_id not in case_ids and await lookup.readable(case_id, token):
            case_ids.add(case_id)
    for code in track:  # each code is a lookup by tracking code, limited like the tracking view's
        gateway.code_lookups.admit(client)
        status, case_id = await lookup.by_tracking_code(code)
        if case_id is not None:
            case_ids.add(case_id)
        elif status == 404:
            gateway.code_lookups.missed(client)
    return case_ids
