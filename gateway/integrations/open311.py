"""Open311 GeoReport v2 at /open311/v2/, for 311-style systems (a 12345 hotline, a county platform).

- services.{json,xml}: every kind × category of case intake is a service, code `<kind>.<category>`
  (read from case intake's /categories, so new categories appear by themselves).
- services/{code}.{json,xml}: one attribute, `grid_id`: the village group the matter is in.
- POST requests.{json,xml} (form-encoded, api_key required): files a case in case intake through the
  gateway's pooled client, channel `open311`, as the API key's integrator. The place is attribute[grid_id]
  or address_id (= the grid id), or else lat/long, which case intake resolves to a village group. Names and e-mail
  are not stored; `phone` becomes the case's contact phone, which only those handling the case see.
- GET requests.{json,xml} and requests/{id}.{json,xml} (api_key required): the requests this key filed,
  filtered by service_request_id, service_code, status (open/closed), start_date/end_date (at most 90
  days), at most 1,000, newest first.
Errors follow the spec: [{"code", "description"}] / <errors><error>…, with the HTTP status as code.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import Gateway
from gateway.edge.clients import client_address
from gateway.edge.ratelimit import TooManyRequests
from gateway.edge.upstreams import Hop
from gateway.identity import accounts
from gateway.identity.tokens import access_token
from gateway.integrations import open311_format as fmt311
from gateway.integrations import open311_spec as spec
from gateway.integrations.open311_format import Open311Error
from gateway.models import ApiKey
from shared.i18n import N_
from shared.logs import REQUEST_ID_HEADER, request_id_var

PREFIX = "/open311/v2"
PAGE = 200
MAX_FORM_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = "5"


class CaseIntakeClient:
    """Case intake as Open311 needs it, through the gateway's pooled client."""

    def __init__(self, gateway: Gateway, hop: Hop) -> None:
        self.gateway = gateway
        self.hop = hop
        self._catalogue: tuple[float, list[dict[str, Any]]] | None = None

    async def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        headers = {REQUEST_ID_HEADER: request_id_var.get() or "", **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self.hop.call("case-intake", method, path, headers=headers, **kwargs) as answer:
                try:
                    body = await answer.json(content_type=None) if answer.content_length != 0 else None
                except ValueError:
                    body = None
                return answer.status, body
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Open311Error(503, "Case intake is not answering; please try again shortly.") from error

    async def catalogue(self) -> list[dict[str, Any]]:
        """Case intake's active categories (code, labels, the kinds each admits), kept for five minutes."""
        if self._catalogue and time.monotonic() < self._catalogue[0]:
            return self._catalogue[1]
        status, page = await self.call("GET", f"/categories?limit={PAGE}")
        if status != 200 or not isinstance(page, dict):
            raise Open311Error(503, "The list of services is not available right now.")
        categories = [item for item in page["items"] if item.get("active", True)]
        self._catalogue = (time.monotonic() + 300, categories)
        return categories

    async def labels(self) -> dict[str, str]:
        return {item["code"]: item["label_zh"] for item in await self.catalogue()}

    def token_for(self, key: ApiKey) -> str:
        gateway = self.gateway
        return access_token(
            accounts.integrator_principal(key),
            private_key=gateway.private_key,
            key_id=gateway.key_id,
            issuer=gateway.settings.token_issuer,
            lifetime=timedelta(minutes=2),
            now=datetime.now(UTC),
        )

    async def own_cases(self, key: ApiKey, start: datetime) -> list[dict[str, Any]]:
        """The key's cases, newest first, back to `start` (case intake pages at most 200 at a time)."""
        token, cases, offset = self.token_for(key), [], 0
        while True:
            status, page = await self.call("GET", f"/cases?limit={PAGE}&offset={offset}", token=token)
            if status != 200:
                raise Open311Error(503, "Case intake could not list the requests.")
            cases += page["items"]
            offset += PAGE
            oldest = page["items"][-1]["submitted_at"] if page["items"] else None
            if offset >= page["total"] or (oldest and datetime.fromisoformat(oldest) < start):
                return cases

    async def one(self, key: ApiKey, case_id: str) -> dict[str, Any] | None:
        """One of the key's cases as a service request; None when it is not the key's (or no case)."""
        if len(case_id) != 36:
            return None
        status, case = await self.call("GET", f"/cases/{case_id}", token=self.token_for(key))
        return fmt311.request_of(case, await self.labels()) if status == 200 else None


def _format(value: str) -> str:
    if value not in fmt311.FORMATS:
        raise Open311Error(404, "Formats are json and xml.")
    return value


def _date(params: dict[str, str], name: str) -> datetime | None:
    if not params.get(name):
        return None
    try:
        value = datetime.fromisoformat(params[name].replace(" ", "+"))
    except ValueError as error:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time with a time zone.") from error
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} must carry a time zone (Z or ±hh:mm).")
    return value


def date_window(params: dict[str, str], now: datetime, max_days: int) -> tuple[datetime, datetime]:
    """The [start, end] the query covers: at most `max_days`, ending now by default."""
    span = timedelta(days=max_days)
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if start and end and end - start > span:
        raise Open311Error(400, f"start_date and end_date may be at most {max_days} days apart.")
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date.")
    if start and not end:
        end = start + span
    if end and not start:
        start = end - span
    if not start or not end:
        end = now
        start = end - span
    return start, end


def matches(request: dict[str, Any], params: dict[str, str], start: datetime, end: datetime) -> bool:
    statuses = {status.strip() for status in params.get("status", "").split(",") if status.strip()}
    codes = {code.strip() for code in params.get("service_code", "").split(",") if code.strip()}
    requested = datetime.fromisoformat(request["requested_datetime"])
    return (
        (not statuses or request["status"] in statuses)
        and (not codes or request["service_code"] in codes)
        and start <= requested <= end
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Open311Error(413, "The request is too large.")
    content_type = request.headers.get("content-type", "")
    if content_type and not content_type.startswith("application/x-www-form-urlencoded"):
        raise Open311Error(400, "Send the request as application/x-www-form-urlencoded.")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as error:
        raise Open311Error(400, "The request must be UTF-8.") from error


async def _api_key(gateway: Gateway, params: dict[str, str]) -> ApiKey:
    async with gateway.maker() as session:
        key = await accounts.api_key_of(session, params.get("api_key", ""))
    if key is None:
        raise Open311Error(403, "A valid api_key is required.")
    return key


def _answer(route):  # type: ignore[no-untyped-def]
    """Open311 errors, in the format asked for, for every route."""

    async def wrapped(request: Request) -> Response:
        fmt = request.path_params.get("fmt", "json")
        try:
            return await route(request, _format(fmt))
        except Open311Error as error:
            response = fmt311.render_error(fmt, error)
            if error.code == 503:
                response.headers["Retry-After"] = RETRY_AFTER_SECONDS
            return response
        except TooManyRequests as error:
            response = fmt311.render_error(fmt, Open311Error(429, error.detail or N_("Too many requests.")))
            response.headers["Retry-After"] = str(error.retry_after)
            return response

    wrapped.__name__ = route.__name__
    wrapped.__doc__ = route.__doc__
    return wrapped


def _intake(request: Request) -> CaseIntakeClient:
    return request.app.state.open311


@_answer
async def discovery(request: Request, fmt: str) -> Response:
    """Where the GeoReport v2 endpoint is and what it speaks."""
    base = request.app.state.settings.public_url.rstrip("/") + PREFIX  # never the Host header a client sent
    payload = {
        "changeset": "2026-11-26T00:00:00Z",
        "contact": "人大常委会代表工委 (the NPC office)",
        "key_service": "API keys are issued by the NPC office (/api/admin/api-keys).",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-11-26T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return fmt311.render(fmt, "discovery", "endpoint", payload)


@_answer
async def list_services(request: Request, fmt: str) -> Response:
    """Every kind × category of case as a service."""
    return fmt311.render(fmt, "services", "service", fmt311.services(await _intake(request).catalogue()))


@_answer
async def service_definition(request: Request, fmt: str) -> Response:
    """The attributes a service takes: the village group's grid id."""
    code = request.path_params["service_code"]
    fmt311.parse_service_code(code, await _intake(request).catalogue())
    return fmt311.render(fmt, "service_definition", "service_definition", fmt311.definition(code))


@_answer
async def create_request(request: Request, fmt: str) -> Response:
    """File a case: api_key, service_code, attribute[grid_id] or address_id, description, phone."""
    intake = _intake(request)
    gateway = intake.gateway
    form = await _form(request)
    key = await _api_key(gateway, form)
    gateway.limits.filing.hit(client_address(request.scope, gateway.trusted_proxies), N_("Too many requests."))
    kind, category = fmt311.parse_service_code(form.get("service_code", ""), await intake.catalogue())
    body: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "description": form.get("description") or "",
        "channel": "open311",
        **_place(form),
    }
    if form.get("phone"):
        body["contact_phone"] = form["phone"].replace(" ", "").replace("-", "")
    headers = {}
    if idempotency_key := request.headers.get("idempotency-key"):
        headers["Idempotency-Key"] = idempotency_key
    status, case = await intake.call("POST", "/cases", token=intake.token_for(key), json=body, headers=headers)
    if status != 201:
        raise Open311Error(_open311_status(status), _problem_text(case))
    reply = {"service_request_id": case["id"], "service_notice": f"Tracking code {case['tracking_code']}"}
    reply["account_id"] = None
    return fmt311.render(fmt, "service_requests", "request", [reply], status=201)


@_answer
async def list_requests(request: Request, fmt: str) -> Response:
    """The requests this api_key filed, filtered; at most 1,000 over at most 90 days."""
    intake = _intake(request)
    gateway = intake.gateway
    params = dict(request.query_params)
    key = await _api_key(gateway, params)
    settings = gateway.settings
    if ids := [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]:
        found = await asyncio.gather(*(intake.one(key, case_id) for case_id in ids[: settings.open311_max_results]))
        return fmt311.render(fmt, "service_requests", "request", [item for item in found if item])
    start, end = date_window(params, gateway.clock.now(), settings.open311_max_days)
    labels = await intake.labels()
    requests = [fmt311.request_of(case, labels) for case in await intake.own_cases(key, start)]
    chosen = [item for item in requests if matches(item, params, start, end)][: settings.open311_max_results]
    return fmt311.render(fmt, "service_requests", "request", chosen)


@_answer
async def get_request(request: Request, fmt: str) -> Response:
    """One request this api_key filed."""
    intake = _intake(request)
    key = await _api_key(intake.gateway, dict(request.query_params))
    found = await intake.one(key, request.path_params["request_id"])
    if found is None:
        raise Open311Error(404, "There is no such request for this api_key.")
    return fmt311.render(fmt, "service_requests", "request", [found])


router = APIRouter(prefix=PREFIX, tags=["open311"])


def _add(path: str, endpoint: Any, method: str, operation_id: str, parameters: list[dict[str, Any]]) -> None:
    """A route with the parameters it reads declared by hand (open311_spec): it parses them itself."""
    extra: dict[str, Any] = {"parameters": [spec.FORMAT, *parameters]}
    if method == "POST":
        extra["requestBody"] = spec.REQUEST_BODY
    router.add_api_route(
        path,
        endpoint,
        methods=[method],
        operation_id=operation_id,
        summary=(endpoint.__doc__ or "").strip().split("\n")[0],
        openapi_extra=extra,
        responses=spec.ANSWERS,
    )


_add("/discovery.{fmt}", discovery, "GET", "open311-discovery", [])
_add("/services.{fmt}", list_services, "GET", "open311-services", [])
_add("/services/{service_code}.{fmt}", service_definition, "GET", "open311-service", [spec.SERVICE_CODE])
_add("/requests.{fmt}", create_request, "POST", "open311-request-create", [])
_add("/requests.{fmt}", list_requests, "GET", "open311-request-list", [spec.API_KEY, *spec.LIST_FILTERS])
_add("/requests/{request_id}.{fmt}", get_request, "GET", "open311-request-get", [spec.REQUEST_ID, spec.API_KEY])


def _place(form: dict[str, str]) -> dict[str, Any]:
    """The grid id when sent; else the point, which case intake resolves to a village group."""
    if grid_id := form.get(f"attribute[{fmt311.GRID_ATTRIBUTE}]") or form.get("address_id"):
        return {"grid_id": grid_id}
    try:
        return {"location": {"lat": float(form["lat"]), "lon": float(form["long"])}}
    except (KeyError, ValueError):
        raise Open311Error(
            400, "Send address_id or attribute[grid_id] (the village group's id, see /api/grid/grids), or lat and long."
        ) from None


def _open311_status(status: int) -> int:
    """Case intake's refusal as Open311 reports it: invalid input is 400; busy stays 503; other failures 502."""
    if status == 422:
        return 400
    return status if status < 500 or status == 503 else 502


def _problem_text(problem: Any) -> str:
    if not isinstance(problem, dict):
        return "Case intake refused the request."
    fields = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg')}" for e in problem.get("errors") or []
    )
    return " ".join(part for part in (problem.get("detail"), fields) if part) or problem.get("title", "Refused")
