"""Domain errors: raised by rules and use cases (no web framework here), shaped into RFC 9457 problem details
by `shared.problems` at the edge of every app."""

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

    def __init__(self, detail: str | None = None, *, rule: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.rule = rule
        self.extra = extra


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

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"Retry-After": str(max(1, retry_after))}


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"
