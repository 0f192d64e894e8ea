"""The event catalogue as an AsyncAPI 2.6 document: one channel per versioned event type (= NATS subject),
each message a CloudEvents 1.0 envelope whose `data` is the event's payload schema."""

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shared.messaging.catalogue import CATALOGUE, STREAMS, json_schemas, stream_of
from shared.messaging.envelope import CloudEvent

REF_PREFIX = "#/components/schemas/"


def _hoist(schema: dict, schemas: dict[str, Any]) -> dict:
    """Move pydantic's local $defs into components and point the $refs there."""
    schema = dict(schema)
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, _local_refs(definition))
    return _local_refs(schema)


def _local_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (REF_PREFIX + value.split("/")[-1])
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
            else _local_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(item) for item in node]
    return node


def _envelope(event_type: str, payload_name: str) -> dict:
    envelope = CloudEvent.model_json_schema()
    properties = dict(envelope["properties"])
    properties["type"] = {"type": "string", "const": event_type}
    properties["data"] = {"$ref": REF_PREFIX + payload_name}
    return {
        "type": "object",
        "description": "A CloudEvents 1.0 envelope (JSON format).",
        "required": ["id", "source", "type", "specversion", "time", "data"],
        "properties": properties,
    }


@functools.cache
def document(nats_url: str) -> dict:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for event_type, schema in json_schemas().items():
        payload = CATALOGUE[event_type]
        name = payload.__name__
        schemas[name] = _hoist(schema, schemas)
        summary = (payload.__doc__ or "").strip().split("\n")[0] or event_type
        messages[name] = {
            "name": event_type,
            "title": name,
            "summary": summary,
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/NatsHeaders"},
            "payload": _envelope(event_type, name),
        }
        service = event_type.split(".", 1)[0]
        channels[event_type] = {
            "description": f"Published by the {service} service into the JetStream stream {stream_of(event_type)}.",
            "subscribe": {
                "operationId": "receive-" + event_type.replace(".", "-"),
                "summary": summary,
                "tags": [{"name": service}],
                "message": {"$ref": f"#/components/messages/{name}"},
            },
            "bindings": {"nats": {"bindingVersion": "0.1.0"}},
        }
    schemas["NatsHeaders"] = {
        "type": "object",
        "properties": {
            "Nats-Msg-Id": {"type": "string", "description": "The event id; JetStream drops duplicates by it."},
            "X-Request-ID": {"type": "string", "description": "The request that caused the event."},
        },
    }
    return {
        "asyncapi": "2.6.0",
        "id": "urn:deputies-in-the-grid:events",
        "info": {
            "title": "Deputies in the grid — events",
            "version": "1.0.0",
            "description": (
                "Every event the services publish. Subjects are `<service>.<entity>.<verb>.v<N>`; each service "
                "publishes into one JetStream stream ("
                + ", ".join(f"{stream}: `{prefix}.>`" for stream, prefix in STREAMS.items())
                + "). Subscribe with a durable consumer and keep an inbox of event ids: redelivery is possible. "
                "Payloads carry ids, never a villager's name or phone number."
            ),
        },
        "servers": {"nats": {"url": nats_url, "protocol": "nats", "description": "NATS with JetStream"}},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"schemas": schemas, "messages": messages},
        "tags": [{"name": prefix, "description": f"stream {stream}"} for stream, prefix in STREAMS.items()],
    }


router = APIRouter(tags=["documents"])


@router.get("/api/asyncapi.json", operation_id="documents-asyncapi", summary="The events, as AsyncAPI 2.6")
async def asyncapi(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    return JSONResponse(document(settings.public_nats_url or settings.nats_url), headers={"Cache-Control": "no-cache"})
