"""Open311 GeoReport v2, answered to a client written from the specification (wiki.open311.org/GeoReport_v2):
form-encoded POSTs, resources with a .json or .xml suffix, XML with the spec's element names, errors as
[{code, description}]."""

import xml.etree.ElementTree as ET
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.integration.city import build_city
from tests.integration.test_gateway_harness import add_official, bearer, gateway_settings, login, migrated_app, served

REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)  # fmt: skip


class GeoReportClient:
    """A GeoReport v2 client, as its spec describes the six methods; knows nothing of this system."""

    def __init__(self, http: httpx.AsyncClient, endpoint: str, api_key: str | None = None) -> None:
        self.http = http
        self.endpoint = endpoint.rstrip("/")
        self.api_key = api_key

    async def _get(self, resource: str, fmt: str, params: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.get(f"{self.endpoint}/{resource}.{fmt}", params=params or {})

    @staticmethod
    def parse(answer: httpx.Response, fmt: str) -> Any:
        if fmt == "json":
            assert answer.headers["content-type"].startswith("application/json")
            return answer.json()
        assert answer.headers["content-type"].startswith("text/xml")
        assert answer.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        root = ET.fromstring(answer.content)
        if root.tag == "service_definition":
            return {
                "service_code": root.findtext("service_code"),
                "attributes": [{child.tag: child.text for child in item} for item in root.find("attributes")],
            }
        return [{child.tag: child.text for child in item} for item in root]

    async def services(self, fmt: str = "json") -> list[dict]:
        return self.parse(await self._get("services", fmt), fmt)

    async def definition(self, code: str, fmt: str = "json") -> dict:
        return self.parse(await self._get(f"services/{code}", fmt), fmt)

    async def post_request(self, fmt: str = "json", **fields: str) -> httpx.Response:
        form = {"api_key": self.api_key or "", **fields}
        return await self.http.post(f"{self.endpoint}/requests.{fmt}", data=form)

    async def requests(self, fmt: str = "json", **params: str) -> httpx.Response:
        return await self._get("requests", fmt, {"api_key": self.api_key or "", **params})

    async def request(self, request_id: str, fmt: str = "json") -> httpx.Response:
        return await self._get(f"requests/{request_id}", fmt, {"api_key": self.api_key or ""})


@pytest.fixture
async def open311(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        intake_url = await stack.enter_async_context(served(city.case_intake.app, lifespan=False))
        app = await migrated_app(gateway_settings(databases, nats_server.url, keys, case_intake_url=intake_url))
        url = await stack.enter_async_context(served(app))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
        await add_official(app, "office", Role.npc_office)
        office = bearer((await login(http, "office")).json()["access_token"])
        key = (await http.post("/api/admin/api-keys", json={"name": "12345 热线"}, headers=office)).json()
        other = (await http.post("/api/admin/api-keys", json={"name": "县数据平台"}, headers=office)).json()
        yield (
            city,
            GeoReportClient(http, "/open311/v2", key["key"]),
            GeoReportClient(http, "/open311/v2", other["key"]),
            (http, office, key["id"]),
        )


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_services_are_the_kinds_and_categories_of_cases(open311, fmt):
    _, client, _, _ = open311
    services = await client.services(fmt)
    codes = {service["service_code"] for service in services}
    assert {"request.water", "dispute.neighbours", "suggestion.roads"} <= codes
    water = next(service for service in services if service["service_code"] == "request.water")
    assert water["type"] == "realtime" and str(water["metadata"]).lower() == "true" and water["service_name"]
    definition = await client.definition("request.water", fmt)
    assert definition["service_code"] == "request.water"
    (attribute,) = definition["attributes"]
    assert attribute["code"] == "grid_id" and str(attribute["required"]).lower() == "true"
    missing = await client._get("services/request.moon", fmt)
    assert missing.status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_request_is_filed_as_a_case_and_can_be_followed(open311, fmt):
    city, client, other_integrator, _ = open311
    posted = await client.post_request(
        fmt,
        service_code="request.water",
        address_id=city.group_id,
        description="村口水管爆了，水流到路上。",
        first_name="张",
        last_name="三",
        email="zhangsan@example.com",
        phone="138 1234 5678",
    )
    assert posted.status_code == 201, posted.text
    (receipt,) = client.parse(posted, fmt)
    request_id = receipt["service_request_id"]
    assert receipt["service_notice"].startswith("Tracking code SS-")

    (one,) = client.parse(await client.request(request_id, fmt), fmt)
    assert set(REQUEST_FIELDS) <= set(one)
    assert one["status"] == "open" and one["service_code"] == "request.water"
    assert one["address_id"] == city.group_id and one["description"] == "村口水管爆了，水流到路上。"
    assert datetime.fromisoformat(one["requested_datetime"]).tzinfo is not None
    assert "张" not in one["status_notes"] and "zhangsan" not in posted.text

    listed = client.parse(await client.requests(fmt, status="open", service_code="request.water"), fmt)
    assert [item["service_request_id"] for item in listed] == [request_id]
    assert client.parse(await client.requests(fmt, status="closed"), fmt) == []
    assert client.parse(await client.requests(fmt, service_request_id=request_id), fmt)[0]["status"] == "open"
    # another integrator's key does not see it
    assert (await other_integrator.request(request_id, fmt)).status_code == 404
    assert other_integrator.parse(await other_integrator.requests(fmt), fmt) == []
    # and the case is a real case, filed through the open311 channel and routed to the group's deputy
    case = (await city.case_intake.client.get(f"/cases/{request_id}", headers=city.deputy_headers)).json()
    assert case["channel"] == "open311" and case["assigned_deputy_ids"] == [city.deputy_id]
    assert case["contact_phone_masked"] == "138****5678"


async def test_the_grid_attribute_names_the_village_group(open311):
    city, client, _, _ = open311
    posted = await client.post_request(
        service_code="dispute.neighbours", description="邻里纠纷", **{"attribute[grid_id]": city.group_id}
    )
    assert posted.status_code == 201, posted.text


async def test_a_request_at_a_point_is_filed_in_the_group_grid_nearest_it(open311):
    city, client, _, _ = open311
    point = {"service_code": "request.roads", "description": "路灯坏了", "lat": "27.9206", "long": "112.5306"}
    grid_away = await client.post_request(**point)
    assert grid_away.status_code == 503 and grid_away.headers["retry-after"]
    async with served(city.grid.app, city.grid_port, lifespan=False):
        posted = await client.post_request(**point)
    assert posted.status_code == 201, posted.text
    case = await city.case_intake.client.get(
        f"/cases/{posted.json()[0]['service_request_id']}", headers=city.deputy_headers
    )
    assert case.json()["grid_id"] == city.group_id and case.json()["location"] == {"lat": 27.9206, "lon": 112.5306}


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"lat": "north", "long": "112.52", "description": "路灯坏了"}, 400),  # not a number
        ({"description": "路灯坏了"}, 400),  # no location at all
        ({"address_id": "not-a-grid", "description": "路灯坏了"}, 400),
        ({"address_id": "GROUP", "description": ""}, 400),  # a case needs a description
        ({"address_id": "GROUP", "description": "x", "service_code": "request.moon"}, 404),
    ],
)
async def test_requests_that_cannot_become_cases_are_refused_in_the_spec_format(open311, fields, status):
    city, client, _, _ = open311
    fields = {"service_code": "request.roads", **fields}
    if fields.get("address_id") == "GROUP":
        fields["address_id"] = city.group_id
    for fmt in ("json", "xml"):
        answer = await client.post_request(fmt, **fields)
        assert answer.status_code == status, answer.text
        (error,) = client.parse(answer, fmt)
        assert int(error["code"]) == status and error["description"]


async def test_an_api_key_is_required_to_file_and_to_read(open311):
    city, client, _, (http, office, key_id) = open311
    keyless = GeoReportClient(client.http, "/open311/v2", None)
    refused = await keyless.post_request(service_code="request.water", address_id=city.group_id, description="x")
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    assert (await keyless.requests()).status_code == 403
    assert (await http.delete(f"/api/admin/api-keys/{key_id}", headers=office)).status_code == 204
    assert (await client.requests()).status_code == 403


async def test_request_queries_are_bounded_to_ninety_days(open311):
    _, client, _, _ = open311
    now = datetime.now(UTC)
    too_long = await client.requests(
        start_date=(now - timedelta(days=91)).isoformat(), end_date=now.isoformat().replace("+00:00", "Z")
    )
    assert too_long.status_code == 400 and too_long.json()[0]["code"] == 400
    assert (await client.requests(start_date="yesterday")).status_code == 400
    fine = await client.requests(start_date=(now - timedelta(days=30)).isoformat())
    assert fine.status_code == 200 and fine.json() == []


async def test_discovery_names_the_endpoint_and_its_formats(open311):
    _, client, _, _ = open311
    answer = await client.http.get("/open311/v2/discovery.json", headers={"Host": "evil.example"})
    endpoint = answer.json()["endpoints"][0]
    assert endpoint["url"] == "http://127.0.0.1:8000/open311/v2"  # PUBLIC_URL, never the Host a client sent
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert (await client.http.get("/open311/v2/services.csv")).status_code == 404
