"""The merged OpenAPI document, the AsyncAPI document, Open311 shapes and live-update filtering."""

import json
import xml.etree.ElementTree as ET

import pytest

from gateway.edge.openapi_merge import merge
from gateway.integrations import asyncapi, open311_format
from gateway.integrations.live import Subscriber, update_of
from gateway.integrations.open311 import date_window, matches
from gateway.integrations.open311_format import Open311Error
from gateway.integrations.scopes import EVENT_TYPES
from shared.auth import Principal, Role
from shared.messaging.catalogue import CATALOGUE


def _doc(schemas: dict, paths: dict) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "t"}, "paths": paths, "components": {"schemas": schemas}}


def _op(operation_id: str, ref: str) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "tags": ["x"],
            "responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
            },
        }
    }


def test_services_are_merged_under_their_segment_with_clashing_components_renamed():
    problem = {"type": "object", "properties": {"type": {"type": "string"}}}
    gateway = _doc({"Problem": problem}, {"/api/auth/me": _op("auth-me", "Problem")})
    grid = _doc(
        {"Problem": problem, "Item": {"type": "object", "properties": {"code": {"type": "string"}}}},
        {"/grids": _op("grid-list", "Item"), "/healthz": _op("health-live", "Problem")},
    )
    deputy = _doc(
        {
            "Problem": problem,
            "Item": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Page": {"type": "object", "properties": {"items": {"$ref": "#/components/schemas/Item"}}},
        },
        {"/deputies": _op("deputy-list", "Page"), "/healthz": _op("health-live", "Problem")},
    )
    merged = merge(gateway, {"grid": grid, "deputy": deputy})
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"Problem", "Item", "Deputy_Item", "Page"}
    assert schemas["Page"]["properties"]["items"]["$ref"] == "#/components/schemas/Deputy_Item"
    assert set(merged["paths"]) == {
        "/api/auth/me",
        "/api/grid/grids",
        "/api/grid/healthz",
        "/api/deputy/deputies",
        "/api/deputy/healthz",
    }
    ids = [item["get"]["operationId"] for item in merged["paths"].values()]
    assert len(ids) == len(set(ids)) and "deputy-health-live" in ids


def test_the_merged_document_declares_what_the_gateway_answers_on_a_services_behalf():
    filing = {"post": {**_op("case-submit", "Problem")["get"], "requestBody": {"content": {}}}}
    intake = _doc({"Problem": {"type": "object"}}, {"/cases": filing, "/categories": _op("category-list", "Problem")})
    paths = merge(_doc({}, {}), {"case-intake": intake})["paths"]
    posted = paths["/api/case-intake/cases"]["post"]["responses"]
    assert {"413", "429", "503", "504"} <= set(posted) and "200" in posted
    assert posted["429"]["content"]["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem"
    listed = paths["/api/case-intake/categories"]["get"]["responses"]
    assert {"503", "504"} <= set(listed) and not {"413", "429"} & set(listed)


def test_a_component_that_refers_to_a_renamed_one_is_renamed_too():
    first = _doc({"A": {"type": "string"}, "B": {"$ref": "#/components/schemas/A"}}, {"/b": _op("first-b", "B")})
    second = _doc({"A": {"type": "integer"}, "B": {"$ref": "#/components/schemas/A"}}, {"/b": _op("second-b", "B")})
    merged = merge(_doc({}, {}), {"one": first, "two": second})
    schemas = merged["components"]["schemas"]
    assert schemas["Two_B"] == {"$ref": "#/components/schemas/Two_A"}
    response = merged["paths"]["/api/two/b"]["get"]["responses"]["200"]["content"]["application/json"]
    assert response["schema"]["$ref"] == "#/components/schemas/Two_B"


def test_the_asyncapi_document_describes_the_integrators_interface_and_never_the_bus():
    document = asyncapi.document("https://grid.example")
    assert document["asyncapi"] == "2.6.0"
    assert set(document["channels"]) == set(EVENT_TYPES) and set(EVENT_TYPES) < set(CATALOGUE)
    for event_type, channel in document["channels"].items():
        name = channel["subscribe"]["message"]["$ref"].split("/")[-1]
        message = document["components"]["messages"][name]
        assert message["payload"]["properties"]["type"]["const"] == event_type
        assert message["headers"]["$ref"].endswith("/WebhookHeaders")
    data = document["components"]["schemas"]["EventData"]["properties"]
    assert set(data) == {"case_id", "grid_id", "township_id", "kind", "category", "status", "at"}
    text = json.dumps(document).lower()
    assert "nats" not in text and "jetstream" not in text and "4222" not in text
    assert not any(stream.lower() in text for stream in ("deadletter", "stream case", '"case.>"'))
    assert not _property_names(document) & {"tracking_code", "phone", "summary", "name", "description", "location"}
    assert document["servers"]["gateway"]["url"] == "https://grid.example/api/integrations/events"
    assert "$defs" not in str(document)


def _property_names(node) -> set[str]:  # type: ignore[no-untyped-def]
    """Every property a schema in the document declares."""
    if isinstance(node, list):
        return set().union(*(_property_names(item) for item in node))
    if not isinstance(node, dict):
        return set()
    own = set(node["properties"]) if isinstance(node.get("properties"), dict) else set()
    return own.union(*(_property_names(value) for value in node.values()))


CATEGORIES = [
    {"code": "water", "label_zh": "供水", "label_en": "Water", "kinds": ["request", "suggestion"]},
    {"code": "land", "label_zh": "土地", "label_en": "Land", "kinds": ["dispute"]},
]


def test_service_codes_are_the_kinds_each_category_admits():
    services = open311_format.services(CATEGORIES)
    assert [service["service_code"] for service in services] == ["request.water", "suggestion.water", "dispute.land"]
    assert services[0]["service_name"] == "诉求 · 供水"
    assert open311_format.parse_service_code("dispute.land", CATEGORIES) == ("dispute", "land")
    for unknown in ("dispute.moon", "request.land", "water", ""):
        with pytest.raises(Open311Error):
            open311_format.parse_service_code(unknown, CATEGORIES)


CASE = {
    "id": "0b5d4b8e-6c53-4f37-9a0e-3d9c1f7a2b11",
    "tracking_code": "SS-2611-00001",
    "kind": "request",
    "category": "water",
    "description": "水费涨了",
    "grid_id": "9e1c1f0a-7a8b-4c2d-8e3f-0a1b2c3d4e5f",
    "status": "assigned",
    "submitted_at": "2026-11-20T08:00:00Z",
    "accept_due_at": "2026-11-21T08:00:00Z",
    "timeline": [
        {"from_status": "submitted", "to_status": "assigned", "reason": "Routed", "at": "2026-11-20T08:00:00Z"}
    ],
}


@pytest.mark.parametrize(
    ("status", "open311"), [("assigned", "open"), ("resolved", "open"), ("closed", "closed"), ("rejected", "closed")]
)
def test_case_statuses_map_to_open_and_closed(status, open311):
    assert open311_format.request_of({**CASE, "status": status})["status"] == open311


def test_a_request_renders_as_georeport_xml():
    request = open311_format.request_of(CASE)
    root = ET.fromstring(open311_format.to_xml("service_requests", "request", [request]))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == CASE["id"]
    assert root.find("request/address_id").text == CASE["grid_id"]
    assert root.find("request/status_notes").text == "assigned: Routed"


def test_request_queries_cover_at_most_ninety_days():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 26, tzinfo=UTC)
    start, end = date_window({}, now, 90)
    assert (end - start).days == 90 and end == now
    with pytest.raises(Open311Error):
        date_window({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, now, 90)
    with pytest.raises(Open311Error):
        date_window({"start_date": "2026-01-01T00:00:00"}, now, 90)
    request = open311_format.request_of(CASE)
    start, end = date_window({"start_date": "2026-11-01T00:00:00+08:00"}, now, 90)
    assert matches(request, {"status": "open", "service_code": "request.water"}, start, end)
    assert not matches(request, {"status": "closed"}, start, end)


def _event(**data) -> dict:
    base = {"case_id": "c1", "tracking_code": "SS-2611-00001", "grid_id": "g1", "kind": "request", "category": "water"}
    return {"id": "e1", "type": "case.case.accepted.v1", "time": "2026-11-26T09:00:00Z", "data": {**base, **data}}


def _subscriber(principal: Principal | None, cases: set[str] | None = None) -> Subscriber:
    import asyncio

    return Subscriber(principal, cases or set(), asyncio.Queue(10))


def test_live_updates_go_only_to_those_who_may_see_the_case():
    update = update_of(_event(deputy_ids=["d1"], to_status="accepted", at="2026-11-26T09:00:00Z"))
    deputy = Principal(subject="a", roles=frozenset({Role.deputy}), deputy_id="d1")
    other_deputy = Principal(subject="b", roles=frozenset({Role.deputy}), deputy_id="d2")
    office = Principal(subject="c", roles=frozenset({Role.npc_office}))
    villager = Principal(subject="v", roles=frozenset({Role.villager}))
    assert _subscriber(deputy).wants(update)
    assert not _subscriber(other_deputy).wants(update)
    assert _subscriber(office).wants(update)
    assert not _subscriber(villager).wants(update)
    assert _subscriber(villager, {"c1"}).wants(update)
    assert _subscriber(None, {"c1"}).wants(update) and not _subscriber(None).wants(update)


def test_an_internal_note_is_news_only_for_those_handling_the_case():
    note = update_of({**_event(deputy_ids=["d1"]), "type": "case.case.noted.v1"})
    deputy = Principal(subject="a", roles=frozenset({Role.deputy}), deputy_id="d1")
    office = Principal(subject="c", roles=frozenset({Role.npc_office}))
    villager = Principal(subject="v", roles=frozenset({Role.villager}))
    assert _subscriber(deputy).wants(note) and _subscriber(office).wants(note)
    assert not _subscriber(villager, {"c1"}).wants(note) and not _subscriber(None, {"c1"}).wants(note)


def test_an_agency_officer_follows_what_was_referred_to_their_organisation():
    officer = Principal(subject="o", roles=frozenset({Role.agency_officer}), organisation="水务局")
    subscriber = _subscriber(officer)
    assert not subscriber.wants(update_of(_event(deputy_ids=["d1"], to_status="accepted")))
    assert subscriber.wants(update_of(_event(deputy_ids=["d1"], to_status="referred", organisation="水务局")))
    assert subscriber.wants(update_of(_event(deputy_ids=["d1"], to_status="resolved")))


def test_live_updates_carry_no_personal_data():
    filing = {
        "id": "e2",
        "type": "case.case.submitted.v2",
        "data": {
            **_event()["data"],
            "summary": "张三家的水管漏水",  # a field the feed does not know is not passed on
            "assigned_deputy_ids": ["d1"],
            "submitted_at": "2026-11-26T09:00:00Z",
        },
    }
    assert update_of({**filing, "type": "case.case.submitted.v1"}) is None  # the v2 beside it is the news
    update = update_of(filing)
    assert update is not None
    public = update.public()
    assert public["status"] == "assigned"
    assert "张三" not in str(public) and "d1" not in str(public)
    assert set(public) == {
        "event_id",
        "type",
        "case_id",
        "tracking_code",
        "grid_id",
        "kind",
        "category",
        "status",
        "at",
    }
