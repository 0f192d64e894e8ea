"""What the OpenAPI document says of the Open311 routes: their parameters, the form body of a POST, and
the answers, which are JSON or XML by the path's format (and errors the spec's [{code, description}], not
problem+json). Declared by hand because the routes read their own parameters to answer in the spec's shape."""

from typing import Any


def _query(name: str, description: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


FORMAT = {"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]}}
SERVICE_CODE = {"name": "service_code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 80}}
REQUEST_ID = {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 36}}
API_KEY = _query("api_key", "The integrator's key, from the NPC office", required=True, maxLength=200)
LIST_FILTERS = [
    _query("service_request_id", "Comma-separated request ids", maxLength=4000),
    _query("service_code", "Comma-separated service codes", maxLength=2000),
    _query("start_date", "ISO 8601 with time zone", format="date-time"),
    _query("end_date", "ISO 8601 with time zone (at most 90 days after start_date)", format="date-time"),
    _query("status", "open, closed, or both comma-separated", maxLength=20),
]
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["api_key", "service_code", "description"],
                "properties": {
                    "api_key": {"type": "string", "maxLength": 200},
                    "service_code": {"type": "string", "maxLength": 80},
                    "attribute[grid_id]": {"type": "string", "description": "The village group's grid id"},
                    "address_id": {"type": "string", "description": "Also accepted as the grid id"},
                    "lat": {"type": "number", "description": "WGS 84; used when no grid id is sent"},
                    "long": {"type": "number"},
                    "description": {"type": "string", "maxLength": 4000},
                    "phone": {"type": "string", "maxLength": 20},
                    "email": {"type": "string", "description": "Accepted, not stored"},
                    "first_name": {"type": "string", "description": "Accepted, not stored"},
                    "last_name": {"type": "string", "description": "Accepted, not stored"},
                },
            }
        }
    },
}
_OPEN311_ERRORS = {
    "description": "Open311 errors: [{code, description}]",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                },
            }
        },
        "text/xml": {"schema": {"type": "string"}},
    },
}
_OPEN311_ANSWER = {
    "content": {
        "application/json": {"schema": {}},
        "text/xml": {"schema": {"type": "string"}},
    }
}
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON or XML as the path's format says", **_OPEN311_ANSWER},
    201: {"description": "The request was filed (POST requests)", **_OPEN311_ANSWER},
    **{status: _OPEN311_ERRORS for status in (400, 403, 404, 413, 429, 503)},
}
