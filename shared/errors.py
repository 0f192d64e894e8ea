"""Domain errors: raised by rules and use cases (no web framework here), shaped into RFC 9457 problem details
by `shared.problems` at the edge of every app.

`title` and `detail` are English message ids (templates in braces, the values in `params`): `shared.problems`
says them in the caller's language from the catalogues of `shared.i18n`; `tests/unit/test_messages.py` fails on
one without its Chinese. Values that are codes (a status) are translated when the catalogue knows them."""

from collections.abc import Mapping
from typing import Any


class ProblemError(Exception):
    """A domain error that becomes a problem response; raised by logic, shaped by the app."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None
    rule: str | None = None
    """Which rule refused (e.g. `grid.council_head`): a stable name for callers that say it in their own words
    (a spreadsheet import's report, in the user's language); never sent in the problem answer itself."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        rule: str | None = None,
        **extra: Any,
    ) -> None:
        self.params = dict(params or {})
        super().__init__(_fill(detail, self.params) if detail else self.title)
        self.detail = detail
        self.rule = rule
        self.extra = extra


def _fill(template: str, params: Mapping[str, Any]) -> str:
    """The English words with their values (the exception's str(), for logs)."""
    try:
        return template.format_map(params) if params else template
    except (KeyError, IndexError, ValueError):
        return template


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Forbidden"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Sign-in required"


class Unprocessable(ProblemError):
    status, slug, title = 422, "validation-error", "The request is not valid"


class TooManyRequests(ProblemError):
    """A limit was reached; `retry_after` seconds until the caller may try again (the Retry-After header)."""

    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(
        self,
        detail: str | None = None,
        *,
        retry_after: int = 1,
        params: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail, params=params, **extra)
        self.headers = {"Retry-After": str(max(1, retry_after))}


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"
