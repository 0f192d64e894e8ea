"""One OpenAPI document of the whole public API: the gateway's own routes and every service's, under
/api/<segment>. A component that two services define differently is renamed with the service's prefix
(and every $ref to it rewritten); identical ones are shared. Clashing operation ids get the segment."""

import asyncio
import copy
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.settings import RATE_LIMITED_POSTS

log = logging.getLogger(__name__)

GATEWAY_ANSWERS = {
    "503": "The service is not answering (Retry-After says when to try again)",
    "504": "The service did not answer in time",
}
"""What the gateway itself may answer for any forwarded operation, beside what the service declares."""

REF_PREFIX = "#/components/schemas/"
Fetch = Callable[[str], Awaitable[dict]]
"""A service's OpenAPI document, by its public segment."""


def prefix_of(segment: str) -> str:
    """`case-intake` -> `CaseIntake`: a component-name prefix (OpenAPI allows [A-Za-z0-9._-])."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", segment))


def rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    """A copy of `node` whose schema $refs point at the renamed components."""
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                result[key] = REF_PREFIX + renames.get(name, name)
            else:
                result[key] = rewrite_refs(value, renames)
        return result
    if isinstance(node, list):
        return [rewrite_refs(item, renames) for item in node]
    return node


def _renames(merged: dict[str, Any], incoming: dict[str, Any], prefix: str) -> dict[str, str]:
    """The incoming components that must be renamed: those that clash, and those that refer to them."""
    renames: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for name, schema in incoming.items():
            if name in renames or name not in merged:
                continue
            if merged[name] != rewrite_refs(schema, renames):
                renames[name] = f"{prefix}_{name}"
                changed = True
    return renames


def _merge_components(result: dict, doc: dict, prefix: str) -> dict[str, str]:
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    incoming = doc.get("components", {}).get("schemas", {})
    renames = _renames(schemas, incoming, prefix)
    for name, schema in incoming.items():
        schemas.setdefault(renames.get(name, name), rewrite_refs(schema, renames))
    for kind, items in doc.get("components", {}).items():
        if kind == "schemas":
            continue
        target = components.setdefault(kind, {})
        for name, item in items.items():
            if name in target and target[name] != item:
                log.warning("component %s/%s differs between services; keeping the first", kind, name)
            target.setdefault(name, item)
    return renames


def _merge_paths(result: dict, doc: dict, base: str, segment: str, renames: dict[str, str]) -> None:
    paths = result.setdefault("paths", {})
    seen = {
        operation.get("operationId")
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict)
    }
    for path, item in doc.get("paths", {}).items():
        item = rewrite_refs(item, renames)
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            if operation["operationId"] in seen:
                operation["operationId"] = f"{segment}-{operation['operationId']}"
            seen.add(operation["operationId"])
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _add_gateway_answers(operation, limited=method == "post" and (segment, path) in RATE_LIMITED_POSTS)
        paths[base + path] = item


def _add_gateway_answers(operation: dict, *, limited: bool) -> None:
    """Declare the problems the gateway answers on the service's behalf: down or slow, a body over the limit, and
    the per-address limit on filings and photos."""
    answers = dict(GATEWAY_ANSWERS)
    if "requestBody" in operation:
        answers["413"] = "The body is over the gateway's limit"
    if limited:
        answers["429"] = "Too many from this address in a minute (Retry-After says when to try again)"
    problem = {"application/problem+json": {"schema": {"$ref": f"{REF_PREFIX}Problem"}}}
    for status, description in answers.items():
        operation["responses"].setdefault(status, {"description": description, "content": problem})


def merge(gateway_doc: dict, services: dict[str, dict], *, unavailable: list[str] | None = None) -> dict:
    """The gateway's document with every service's paths under /api/<segment> and its components merged."""
    result = copy.deepcopy(gateway_doc)
    result.setdefault("paths", {})
    tags = {tag["name"]: tag for tag in result.get("tags", [])}
    for segment, doc in services.items():
        renames = _merge_components(result, doc, prefix_of(segment))
        _merge_paths(result, doc, f"/api/{segment}", segment, renames)
        for tag in doc.get("tags", []):
            tags.setdefault(tag["name"], tag)
        for item in doc.get("paths", {}).values():
            for operation in item.values():
                for name in operation.get("tags", []) if isinstance(operation, dict) else []:
                    tags.setdefault(name, {"name": name, "description": doc.get("info", {}).get("title", "")})
    result["tags"] = sorted(tags.values(), key=lambda tag: tag["name"])
    if unavailable:
        result.setdefault("info", {})["x-unavailable-services"] = sorted(unavailable)
    return result


class MergedDocument:
    """Fetches the services' documents, merges them, and keeps the result for a while."""

    def __init__(self, gateway_doc: Callable[[], dict], segments: list[str], fetch: Fetch, ttl: float) -> None:
        self.gateway_doc = gateway_doc
        self.segments = segments
        self.fetch = fetch
        self.ttl = ttl
        self._cached: dict | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> dict:
        async with self._lock:
            if self._cached is not None and time.monotonic() < self._expires:
                return self._cached
            segments = self.segments
            answers = await asyncio.gather(*(self.fetch(segment) for segment in segments), return_exceptions=True)
            services, missing = {}, []
            for segment, answer in zip(segments, answers, strict=True):
                if isinstance(answer, BaseException):
                    log.warning("no OpenAPI document from %s: %r", segment, answer)
                    missing.append(segment)
                else:
                    services[segment] = answer
            self._cached = merge(self.gateway_doc(), services, unavailable=missing)
            self._expires = time.monotonic() + (self.ttl if not missing else min(self.ttl, 2.0))
            return self._cached
