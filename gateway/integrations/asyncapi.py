"""The events integrators get, as an AsyncAPI 2.6 document: what the gateway's webhooks post and its event feed
sends (gateway.integrations.webhooks, .feed), one channel per event type. It describes that interface only:
the services' bus stays inside (no server address, no stream, no subject but the event type names)."""

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.integrations.scopes import EVENT_TYPES
from shared.messaging.catalogue import CATALOGUE

REF = "#/components/schemas/"
NULLABLE_STRING = {"type": ["string", "null"]}

EVENT_DATA = {
    "type": "object",
    "description": "What the public views show of a case: no tracking code, name, phone, description or point.",
    "required": ["case_id", "grid_id", "township_id", "kind", "category", "status", "at"],
    "properties": {
        "case_id": {"type": "string", "format": "uuid"},
        "grid_id": {**NULLABLE_STRING, "description": "The village group the case is filed at"},
        "township_id": {**NULLABLE_STRING, "description": "Its township (the scope of API keys)"},
        "kind": {**NULLABLE_STRING, "description": "request, suggestion, dispute, … (null on supporters' news)"},
        "category": NULLABLE_STRING,
        "status": {**NULLABLE_STRING, "description": "The case's status after the event (null on supporters' news)"},
        "at": {"type": "string", "format": "date-time"},
    },
}
WEBHOOK_HEADERS = {
    "type": "object",
    "description": "Standard Webhooks (https://www.standardwebhooks.com): verify before trusting the body.",
    "required": ["webhook-id", "webhook-timestamp", "webhook-signature"],
    "properties": {
        "webhook-id": {"type": "string", "description": "The delivery's id: the same at every retry; drop repeats"},
        "webhook-timestamp": {"type": "string", "description": "Seconds since 1970 of this attempt"},
        "webhook-signature": {
            "type": "string",
            "description": "`v1,` + base64 HMAC-SHA256, keyed with the webhook's `whsec_` secret (base64 after the "
            "prefix), of `<webhook-id>.<webhook-timestamp>.<body>`",
        },
    },
}


def _event(event_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type", "timestamp", "data"],
        "properties": {
            "id": {"type": "string", "description": "The event's id (the same in the feed and in webhooks)"},
            "type": {"type": "string", "const": event_type},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {"$ref": REF + "EventData"},
        },
    }


@functools.cache
def document(public_url: str) -> dict:
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for event_type in EVENT_TYPES:
        name = CATALOGUE[event_type].__name__
        summary = (CATALOGUE[event_type].__doc__ or "").strip().split("\n")[0] or event_type
        messages[name] = {
            "name": event_type,
            "title": name,
            "summary": summary,
            "contentType": "application/json",
            "headers": {"$ref": REF + "WebhookHeaders"},
            "payload": _event(event_type),
        }
        channels[event_type] = {
            "description": (
                f"`{event_type}`: posted to the webhooks of API keys whose scope takes it (the event type and the "
                "case's township), and sent on GET /api/integrations/events as `event: " + event_type + "`."
            ),
            "subscribe": {
                "operationId": "receive-" + event_type.replace(".", "-"),
                "summary": summary,
                "message": {"$ref": f"#/components/messages/{name}"},
                "security": [{"integratorKey": []}],
            },
            "bindings": {"http": {"type": "request", "method": "POST", "bindingVersion": "0.1.0"}},
        }
    return {
        "asyncapi": "2.6.0",
        "id": "urn:deputies-in-the-grid:integrations",
        "info": {
            "title": "Deputies in the grid — events for integrators",
            "version": "2.0.0",
            "description": (
                "Case events for integrators, through the gateway, for an API key the NPC office issued with an "
                "event scope (event types, townships). Two ways, the same events: **webhooks** the office registers "
                "for the key (`POST /api/admin/api-keys/{id}/webhooks`): an HTTPS POST per event, signed the "
                "Standard Webhooks way, retried with growing waits (5 s, 15 s, 45 s, … up to 12 h, 10 attempts); "
                "delivery is at least once, so drop repeats by `webhook-id`; and the **feed** "
                "`GET /api/integrations/events` (Server-Sent Events, header `X-Api-Key`): `id:` is a cursor — "
                "send it back as `Last-Event-ID` (or `?after=`) to resume where you stopped. Payloads are the "
                "public views' facts only: ids, kind, category, status, grid and township, time."
            ),
        },
        "servers": {
            "gateway": {
                "url": public_url.rstrip("/") + "/api/integrations/events",
                "protocol": "https" if public_url.startswith("https") else "http",
                "description": "The feed (Server-Sent Events); webhooks are posted to the URLs you registered",
                "security": [{"integratorKey": []}],
            }
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {
            "schemas": {"EventData": EVENT_DATA, "WebhookHeaders": WEBHOOK_HEADERS},
            "messages": messages,
            "securitySchemes": {
                "integratorKey": {
                    "type": "httpApiKey",
                    "name": "X-Api-Key",
                    "in": "header",
                    "description": "An API key with an event scope, from the NPC office",
                }
            },
        },
    }


router = APIRouter(tags=["documents"])


@router.get("/api/asyncapi.json", operation_id="documents-asyncapi", summary="Integrators' events, as AsyncAPI 2.6")
async def asyncapi(request: Request) -> JSONResponse:
    return JSONResponse(document(request.app.state.settings.public_url), headers={"Cache-Control": "no-cache"})
