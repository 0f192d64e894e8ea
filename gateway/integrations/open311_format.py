"""Open311 GeoReport v2 shapes: service codes from case kinds × categories, a case as a service request,
status open/closed, and the JSON and XML renderings (errors included) that the spec defines."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from fastapi.responses import Response

from shared.messaging.catalogue import CLOSED_CASE_STATUSES

CLOSED = CLOSED_CASE_STATUSES
"""Case statuses that are `closed` in Open311; every other status (resolved included: the villager has not
confirmed yet) is `open`."""

KIND_NAMES = {"request": "诉求", "dispute": "矛盾纠纷", "suggestion": "建议", "opinion": "社情民意"}
AGENCY = "人大代表进网格 (the deputies of the village group's grid)"
GRID_ATTRIBUTE = "grid_id"
LIST_ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def service_code(kind: str, category: str) -> str:
    return f"{kind}.{category}"


def parse_service_code(code: str, categories: list[dict[str, Any]]) -> tuple[str, str]:
    """(kind, category) of a service code, if case intake's categories admit that pair."""
    kind, _, category = code.partition(".")
    if not any(item["code"] == category and kind in item["kinds"] for item in categories):
        raise Open311Error(404, f"There is no service {code[:60]!r}; see services.json.")
    return kind, category


def service_name(kind: str, label: str) -> str:
    return f"{KIND_NAMES.get(kind, kind)} · {label}"


def services(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every (kind, category) pair case intake's categories admit, as GeoReport services."""
    return [
        {
            "service_code": service_code(kind, item["code"]),
            "service_name": service_name(kind, item["label_zh"]),
            "description": f"{kind}: {item['label_en']} — routed to the deputies of the village group",
            "metadata": True,
            "type": "realtime",
            "keywords": f"{kind}, {item['code']}, {item['label_en']}",
            "group": KIND_NAMES.get(kind, kind),
        }
        for item in categories
        for kind in item["kinds"]
    ]


def definition(code: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": GRID_ATTRIBUTE,
                "datatype": "string",
                "required": True,
                "datatype_description": "The id (UUID) of a village group or residential compound of the grid",
                "order": 1,
                "description": (
                    "The village group (村小组/小区) where the matter is. Required unless address_id carries the "
                    "same grid id: lat/long are not resolved to a grid yet."
                ),
            }
        ],
    }


def status_of(case_status: str) -> str:
    return "closed" if case_status in CLOSED else "open"


def _iso(value: str | None) -> str | None:
    return datetime.fromisoformat(value).isoformat() if value else None


def request_of(case: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A case (case intake's CaseRead) as a GeoReport v2 service request; `labels`: category -> name."""
    timeline = case.get("timeline") or []
    last = timeline[-1] if timeline else {}
    waiting = case["status"] in ("submitted", "assigned")
    notes = case.get("public_reason") or last.get("reason") or ""
    return {
        "service_request_id": case["id"],
        "status": status_of(case["status"]),
        "status_notes": f"{case['status']}: {notes}" if notes else case["status"],
        "service_name": service_name(case["kind"], (labels or {}).get(case["category"], case["category"])),
        "service_code": service_code(case["kind"], case["category"]),
        "description": case.get("description"),
        "agency_responsible": AGENCY,
        "service_notice": f"Tracking code {case['tracking_code']}",
        "requested_datetime": _iso(case.get("submitted_at")),
        "updated_datetime": _iso(last.get("at") or case.get("submitted_at")),
        "expected_datetime": _iso(case.get("accept_due_at")) if waiting else None,
        "address": None,
        "address_id": case.get("grid_id"),
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            node.append(_element(key, item))
    elif isinstance(value, list):
        child_tag = LIST_ITEMS.get(tag, "item")
        for item in value:
            node.append(_element(child_tag, item))
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)
    return node


def to_xml(root: str, item: str, items: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    """<root><item>…</item>…</root>, or <root>…</root> for one object (a service definition)."""
    if isinstance(items, dict):
        tree = _element(root, items)
    else:
        tree = ET.Element(root)
        for entry in items:
            tree.append(_element(item, entry))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode").encode()


def render(fmt: str, root: str, item: str, payload: list | dict, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, payload), status_code=status, media_type=FORMATS["xml"])
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=FORMATS["json"])


def render_error(fmt: str, error: Open311Error) -> Response:
    errors = [{"code": error.code, "description": error.description}]
    return render(fmt if fmt in FORMATS else "json", "errors", "error", errors, status=error.code)
