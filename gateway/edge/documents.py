"""The public API described: the merged OpenAPI document and a docs page served from the gateway itself
(static HTML and a small script; no CDN, no inline script). The events' AsyncAPI document is
gateway.integrations.asyncapi."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse

from gateway.edge.openapi_merge import MergedDocument
from gateway.edge.upstreams import Hop
from gateway.settings import GatewaySettings
from shared import problems

STATIC = Path(__file__).with_name("static")
DESCRIPTION = (
    "The public API of Deputies in the grid: sign-in and tokens (/api/auth), account management (/api/admin), "
    "every service under /api/<service>, live updates (/api/live, Server-Sent Events) and Open311 GeoReport v2 "
    "(/open311/v2). Errors are application/problem+json (RFC 9457); creates accept an Idempotency-Key header; "
    "lists are paginated with limit/offset and a total."
)


def gateway_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
        app.openapi_schema = problems.rewrite_openapi(schema)
    return app.openapi_schema


def merged_document(app: FastAPI, settings: GatewaySettings, hop: Hop) -> MergedDocument:
    """The whole public API's document, merged from the gateway's own and the services' (kept a while)."""
    return MergedDocument(
        lambda: gateway_openapi(app),
        list(hop.upstreams),
        lambda segment: hop.get_json(segment, "/openapi.json", timeout=settings.proxy_timeout_seconds),
        ttl=settings.openapi_cache_seconds,
    )


router = APIRouter(tags=["documents"])


@router.get("/api/openapi.json", operation_id="documents-openapi", summary="This document")
async def openapi(request: Request) -> JSONResponse:
    merged: MergedDocument = request.app.state.documents
    return JSONResponse(await merged.get(), headers={"Cache-Control": "no-cache"})


# where tools look for it first (schemathesis, openapi-generator): the same document
router.add_api_route("/openapi.json", openapi, methods=["GET"], include_in_schema=False)


@router.get("/api/docs", include_in_schema=False)
async def docs_page() -> FileResponse:
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


@router.get("/api/docs/{name}", include_in_schema=False)
async def docs_asset(name: str) -> FileResponse:
    if name not in ("docs.js", "docs.css"):
        raise problems.NotFound("No such file.")
    return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})
