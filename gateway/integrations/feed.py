"""The integrators' event feed: GET /api/integrations/events, Server-Sent Events for one API key.

Every event the key's scope takes, in the order the gateway took them in, with `id:` = its `seq`, `event:` =
its type and `data:` = the same JSON its webhooks get. A client that reconnects sends `Last-Event-ID` (or
`?after=<seq>`) and goes on where it stopped; without either the feed starts with the next event. Events are
kept INTEGRATION_EVENTS_DAYS: a cursor older than that gets a `gap` event first (what is left follows).
The feed ends with `revoked` when the key is revoked; a comment line every 15 s keeps proxies from closing it.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from fastapi.security import APIKeyHeader
from fastapi.sse import format_sse_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.deps import GatewayDep, SessionDep
from gateway.identity import accounts
from gateway.integrations.scopes import in_scope, types_of
from gateway.models import ApiKey, IntegrationEvent
from shared.errors import Forbidden, Unauthorized
from shared.problems import responses

PAGE = 200
api_key_header = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    scheme_name="IntegratorKey",
    description="An integrator's API key from the NPC office (/api/admin/api-keys)",
)
FEED_SCHEMA = {
    "description": "One event of the stream; `data` is the event's JSON (the webhook body, IntegrationEvent)",
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "description": "ready, an event type (case.case.….v1), gap or revoked"},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "description": "The event's seq: send it back as Last-Event-ID to resume"},
        "retry": {"type": "integer", "minimum": 0},
    },
}

router = APIRouter(tags=["integrations"])


async def integrator(session: SessionDep, raw: Annotated[str | None, Depends(api_key_header)]) -> ApiKey:
    key = await accounts.api_key_of(session, raw or "")
    if key is None:
        raise Unauthorized("Send an API key from the NPC office in X-Api-Key.")
    if not types_of(key):
        raise Forbidden("This API key has no event scope; ask the NPC office.")
    return key


@router.get(
    "/api/integrations/events",
    operation_id="integration-events",
    summary="The events of the caller's API key (Server-Sent Events, resumable)",
    response_class=StreamingResponse,
    responses={
        200: {"description": "An event stream", "content": {"text/event-stream": {"schema": FEED_SCHEMA}}},
        **responses(401, 403, 422),
    },
)
async def events(
    gateway: GatewayDep,
    session: SessionDep,
    key: Annotated[ApiKey, Depends(integrator)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,18}$")] = None,
    after: Annotated[int | None, Query(ge=0, le=10**18, description="Resume after this seq")] = None,
) -> StreamingResponse:
    """The key's events as they come, from where the client stopped (see the module's description)."""
    cursor = after if after is not None else int(last_event_id) if last_event_id is not None else None
    newest, oldest = (
        await session.execute(select(func.max(IntegrationEvent.seq), func.min(IntegrationEvent.seq)))
    ).one()
    gap = cursor is not None and oldest is not None and cursor < oldest - 1
    start = cursor if cursor is not None else (newest or 0)
    await session.close()  # the stream opens its own sessions
    settings = gateway.settings
    stream = _stream(gateway.maker, key.id, start, gap, settings.webhook_poll_seconds, settings.live_heartbeat_seconds)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


async def _stream(
    maker: async_sessionmaker[AsyncSession], key_id: str, cursor: int, gap: bool, poll: float, heartbeat: float
) -> AsyncIterator[bytes]:
    yield format_sse_event(retry=3000)
    yield format_sse_event(event="ready", data_str=f'{{"after":{cursor}}}')
    if gap:
        yield format_sse_event(event="gap", data_str='{"detail":"Events before the oldest one kept are gone."}')
    quiet_since = time.monotonic()
    while True:
        async with maker() as session:
            key = await session.get(ApiKey, key_id)
            if key is None or key.revoked_at is not None:
                yield format_sse_event(event="revoked", data_str='{"detail":"The API key was revoked."}')
                return
            query = select(IntegrationEvent).where(IntegrationEvent.seq > cursor).order_by(IntegrationEvent.seq)
            rows = list((await session.execute(query.limit(PAGE))).scalars())
        for row in rows:
            cursor = row.seq
            if in_scope(key, row.type, row.township_id):
                quiet_since = time.monotonic()
                yield format_sse_event(id=str(row.seq), event=row.type, data_str=row.body)
        if len(rows) == PAGE:
            continue
        if time.monotonic() - quiet_since >= heartbeat:
            quiet_since = time.monotonic()
            yield format_sse_event(comment="keepalive")
        await asyncio.sleep(poll)
