"""RFC 9457 problem details: every error is `application/problem+json` with a stable `type`.

A database that cannot be written just now (read-only, full, unreachable, locked) is a temporary failure like
any other: 503 with Retry-After, so that any client sends the same request again under the same
Idempotency-Key. The request's transaction was rolled back, so nothing was changed.

`title`, `detail` and each field error's `msg` are said in the caller's language (Accept-Language: Chinese by
default, or English) from the catalogues of `shared.i18n`; `type` (and each field error's `type`) stays the same
in every language: clients decide on those, people read the words.
"""

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic_core import PydanticKnownError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import i18n
from shared.errors import ProblemError

PROBLEM_MEDIA_TYPE = "application/problem+json"
OPTIONAL_BEARER = "OptionalBearer"
REQUIRED_BEARER = "Bearer"
TYPE_BASE = "https://deputies-in-the-grid.example/problems/"

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Sign-in required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "The request is not valid"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal error"),
    503: ("service-unavailable", "Service unavailable"),
}


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    lang: i18n.Language | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem answer; `title` and `detail` are English message ids (with `params`), said in `lang` (the
    request's language when not given)."""
    default_slug, default_title = _TITLES.get(status, ("error", "Error"))
    body = {
        "type": TYPE_BASE + (slug or default_slug),
        "title": i18n.translate(title or default_title, lang=lang),
        "status": status,
    }
    if detail:
        body["detail"] = i18n.translate(detail, params, lang)
    body.update({key: value for key, value in extra.items() if value is not None})
    headers = {**({"Retry-After": "1"} if status in (429, 503) else {}), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


MESSAGE_CHARACTERS = 300
"""A field error's message may quote the input (a discriminator's tag): it is cut, never sent back whole."""


def _field_errors(error: RequestValidationError, lang: i18n.Language) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(part) if not isinstance(part, int) else part for part in item["loc"]],
            "msg": _cut(field_message(item, lang)),
            "type": item["type"],
        }
        for item in error.errors()
    ]


VALUE_ERROR_PREFIX = "Value error, "


def field_message(item: dict[str, Any], lang: i18n.Language) -> str:
    """A field error's words in `lang`: pydantic's own message template (its id) with the error's context, or
    the sentence a validator of ours raised (`ValueError("must carry a time zone offset")`)."""
    context = dict(item.get("ctx") or {})
    if item["type"] in ("value_error", "assertion_error") and "error" in context:
        said = str(context["error"])
        return i18n.translate(said, lang=lang) if i18n.has_translation(said) or lang == "en" else item["msg"]
    try:
        template = PydanticKnownError(item["type"], context or None).message_template
    except (KeyError, TypeError, ValueError):
        return i18n.translate(item["msg"], lang=lang)
    if lang == "en" or not i18n.has_translation(template, lang):
        return item["msg"]  # pydantic's English, its values filled in by pydantic
    return i18n.translate(template, {key: _plain(value) for key, value in context.items()}, lang)


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float) else str(value)


def _cut(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARACTERS else message[: MESSAGE_CHARACTERS - 1] + "…"


UNAVAILABLE_MESSAGES = (
    "readonly database",  # SQLite: "attempt to write a readonly database"
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
    "database is locked",  # another writer held it past the busy timeout
    "read-only transaction",  # PostgreSQL: a standby, or default_transaction_read_only
    "connection is closed",
    "connection was closed",
    "server closed the connection",
    "terminating connection",
    "could not connect",
)
UNAVAILABLE_SQLSTATES = ("25006", "57P01", "57P02", "57P03", "58030", "40001", "40P01")
"""PostgreSQL: read-only transaction, the server shutting down or starting, an I/O error, a serialization
failure or a deadlock (rolled back whole: the same request may be sent again), and the classes 08 connection
exception and 53 insufficient resources (disk full, out of memory, too many connections)."""
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53")


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` (or the error it wraps) says the database cannot be written just now (a refused
    connection, which asyncpg raises as it is, counts too: it is temporary wherever it comes from).

    Messages are read from the driver's own errors (sqlite3's, asyncpg's), never from SQLAlchemy's wrapper,
    whose text quotes the statement's parameters: a villager's words."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionError | PoolTimeout) or getattr(current, "connection_invalidated", False):
            return True
        sqlstate = str(getattr(current, "sqlstate", None) or "")
        if sqlstate in UNAVAILABLE_SQLSTATES or sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES:
            return True
        driver_error = isinstance(current, sqlite3.Error) or (
            not isinstance(current, SQLAlchemyError)
            and (hasattr(current, "sqlstate") or type(current).__module__.startswith("asyncpg"))
        )
        if driver_error and any(message in str(current).lower() for message in UNAVAILABLE_MESSAGES):
            return True
        pending += [getattr(current, "orig", None), current.__cause__]  # what it wraps, not what it ran into
    return False


def unavailable_response(error: BaseException) -> JSONResponse:
    log.warning("the database cannot be written just now: %s", error)
    return problem_response(503, "The database cannot be written just now; nothing was changed. Please try again.")


def install(app: FastAPI) -> None:
    """Turn every error the app can raise into problem+json, and say so in its OpenAPI."""

    @app.exception_handler(ProblemError)
    async def _domain(request: Request, error: ProblemError) -> JSONResponse:
        return problem_response(
            error.status,
            error.detail,
            slug=error.slug,
            title=error.title,
            headers=error.headers,
            params=error.params,
            lang=_language(request),
            **error.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        lang = _language(request)
        return problem_response(422, "One or more fields are not valid.", lang=lang, errors=_field_errors(error, lang))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else None
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        if error.status_code == 400 and detail == "There was an error parsing the body":
            lang = _language(request)
            words = i18n.translate(i18n.N_("The body is not valid JSON"), lang=lang)
            body_error = {"loc": ["body"], "msg": words, "type": "json_invalid"}
            return problem_response(422, "The body is not valid JSON.", lang=lang, errors=[body_error])
        return problem_response(error.status_code, detail, headers=headers, lang=_language(request))

    async def _database(_: Request, error: Exception) -> JSONResponse:
        if not database_unavailable(error):
            raise error  # not a temporary failure: a 500 (below), with its traceback in the log
        return unavailable_response(error)

    for kind in (SQLAlchemyError, sqlite3.Error, ConnectionError):
        app.add_exception_handler(kind, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        if database_unavailable(error):  # raised outside the routes (a middleware)
            return unavailable_response(error)
        return problem_response(500, "Something went wrong on our side; nothing was changed.", lang=_language(request))


def _language(request: Request) -> i18n.Language:
    """The request's language, read from its header (the 500 handler runs outside the middleware that sets
    `shared.i18n.language_var`)."""
    return i18n.language(request.headers.get("accept-language"))


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem responses a route can give."""
    return {
        status: {
            "description": _TITLES.get(status, ("", "Error"))[1],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def rewrite_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace FastAPI's default 422 body with the one Problem shape used everywhere."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    for name, definition in (
        Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
    ):
        components.setdefault(name, definition)
    components["Problem"].pop("$defs", None)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    security_schemes = schema["components"].get("securitySchemes", {})
    if security_schemes.pop(OPTIONAL_BEARER, None) is not None:
        security_schemes.setdefault(REQUIRED_BEARER, {"type": "http", "scheme": "bearer"})
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if {OPTIONAL_BEARER: []} in operation.get("security", []):
                operation["security"] = [{}, {REQUIRED_BEARER: []}]  # anonymous or signed in
            answers = operation.get("responses", {})
            if "422" in answers:
                answers["422"] = {
                    "description": "The request is not valid",
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    return schema
