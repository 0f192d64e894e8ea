"""The round trip of the county's data: the demo city (414 deputies, 260 grids, their assignments), written from
the services' own list APIs into the import templates' shape (the templates the services hand out, filled in
under their headings; the boundaries as GeoJSON), imported into empty services, gives the same grids, deputies
and assignments, record by record."""

import asyncio
import io
import json
from contextlib import AsyncExitStack
from importlib import import_module
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from devstack import demo
from services.deputy.models import KnownGrid
from services.grid.models import KnownDeputy
from shared.auth import Role
from shared.config import SERVICE_PACKAGES
from shared.migrations import upgrade
from tests.integration.sheets import upload
from tests.support import eventually, start_service

LEVELS = {"township": "乡镇", "village": "村", "group": "组"}
DEPUTY_LEVELS = {"city": "市级", "township": "乡镇级", "both": "两级"}
ROLES = {"member": "成员", "grid_head": "网格长"}
BASES = {"electoral_district": "原选区", "proximity": "就近"}


async def every(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[dict]:
    items: list[dict] = []
    while True:
        answer = await client.get(path, params={**params, "limit": 200, "offset": len(items)}, headers=headers)
        page = answer.json()
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


async def filled_template(client: httpx.AsyncClient, path: str, headers: dict[str, str], rows: list[dict]) -> bytes:
    """The service's own template with `rows` (heading → value) written under its headings."""
    answer = await client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    workbook = load_workbook(io.BytesIO(answer.content))
    sheet = workbook.worksheets[0]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for index, row in enumerate(rows, start=2):
        for heading, value in row.items():
            sheet.cell(row=index, column=columns[heading], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def city_of(grid: httpx.AsyncClient, deputy: httpx.AsyncClient, office: dict[str, str]) -> dict[str, Any]:
    """Every grid (with its boundary), deputy (with the full contact the office sees) and assignment, by code."""
    grids = [
        (await grid.get(f"/grids/{item['id']}")).json()
        for level in LEVELS
        for item in await every(grid, "/grids", office, level=level)
    ]
    listed = await every(deputy, "/deputies", office)
    deputies = [(await deputy.get(f"/deputies/{item['id']}", headers=office)).json() for item in listed]
    assignments = await every(grid, "/assignments", office)
    return {"grids": grids, "deputies": deputies, "assignments": assignments}


def _point(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """A point to a tenth of a millimetre: a spreadsheet keeps 15 significant digits (Excel's precision, and
    openpyxl's), so 27.889999999999997 comes back as 27.89."""
    return (round(lat, 9), round(lon, 9)) if lat is not None and lon is not None else None


def comparable(city: dict[str, Any]) -> dict[str, Any]:
    """The records by code, without what a new record gets anew (ids, versions, times, the demo flag)."""
    code_of = {item["id"]: item["code"] for item in city["grids"]}
    deputy_code = {item["id"]: item["code"] for item in city["deputies"]}
    grid_fields = ("name", "level", "kind", "district", "population", "households", "status", "boundary_geojson")
    deputy_fields = ("name", "level", "district", "council_member", "organisation", "contact_phone", "status")
    return {
        "grids": {
            item["code"]: {
                **{name: item[name] for name in grid_fields},
                "parent": code_of.get(item["parent_id"]),
                "centre": _point(item["centre_lat"], item["centre_lon"]),
            }
            for item in city["grids"]
        },
        "deputies": {
            item["code"]: {
                **{name: item[name] for name in deputy_fields},
                "home_grid": code_of.get(item["home_grid_id"]),
                "home": _point(**item["home_location"]) if item["home_location"] else None,
            }
            for item in city["deputies"]
        },
        "assignments": sorted(
            (
                deputy_code[item["deputy_id"]],
                code_of[item["grid_id"]],
                item["role"],
                item["basis"],
                item["starts_on"],
                item["ends_on"],
            )
            for item in city["assignments"]
        ),
    }


def files_of(city: dict[str, Any]) -> dict[str, Any]:
    """The rows of each template (heading → value) and the boundaries as a GeoJSON FeatureCollection."""
    code_of = {item["id"]: item["code"] for item in city["grids"]}
    by_id = {item["id"]: item for item in city["deputies"]}
    name_of = {item["id"]: item["name"] for item in city["grids"]}
    grids = [
        {
            "编码": item["code"],
            "名称": item["name"],
            "层级": LEVELS[item["level"]],
            "上级编码": code_of.get(item["parent_id"]),
            "类型": item["kind"],
            "选区": item["district"],
            "人口": item["population"],
            "户数": item["households"],
            "中心纬度": item["centre_lat"],
            "中心经度": item["centre_lon"],
        }
        for item in city["grids"]
    ]
    features = [
        {"type": "Feature", "properties": {"编码": item["code"]}, "geometry": item["boundary_geojson"]}
        for item in city["grids"]
        if item["boundary_geojson"]
    ]
    deputies = [
        {
            "代表编码": item["code"],
            "姓名": item["name"],
            "代表层级": DEPUTY_LEVELS[item["level"]],
            "选区": item["district"],
            "单位职务": item["organisation"],
            "联系电话": item["contact_phone"],
            "是否主任会议成员": "是" if item["council_member"] else "否",
            "所在网格": code_of.get(item["home_grid_id"]),
            "居住地纬度": (item["home_location"] or {}).get("lat"),
            "居住地经度": (item["home_location"] or {}).get("lon"),
        }
        for item in city["deputies"]
    ]
    assignments = [
        {
            "代表编码": by_id[item["deputy_id"]]["code"],
            "代表姓名": by_id[item["deputy_id"]]["name"],
            "网格编码": code_of[item["grid_id"]],
            "网格名称": name_of[item["grid_id"]],
            "角色": ROLES[item["role"]],
            "依据": BASES[item["basis"]],
            "开始日期": item["starts_on"],
        }
        for item in city["assignments"]
    ]
    boundaries = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return {"grids": grids, "boundaries": boundaries, "deputies": deputies, "assignments": assignments}


async def test_the_demo_city_exported_to_the_templates_and_imported_into_empty_services_is_the_same(
    nats_server, databases, keys
):
    office = keys.headers(Role.npc_office)
    demo_settings = {name: databases.settings(name, nats_server.url, keys.public) for name in ("grid", "deputy")}
    readers = {}
    for name, settings in demo_settings.items():
        await asyncio.to_thread(upgrade, SERVICE_PACKAGES[name], settings)
        await demo.seed_service(name, settings)
        readers[name] = import_module(f"{SERVICE_PACKAGES[name]}.app").create_app(settings)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=readers["grid"]), base_url="http://demo") as grid_reader,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=readers["deputy"]), base_url="http://demo") as reader,
    ):
        before = await city_of(grid_reader, reader, office)
        rows = files_of(before)
        files = {
            "grids": await filled_template(grid_reader, "/imports/grids/template", office, rows["grids"]),
            "deputies": await filled_template(reader, "/imports/deputies/template", office, rows["deputies"]),
            "assignments": await filled_template(
                grid_reader, "/imports/assignments/template", office, rows["assignments"]
            ),
        }
    for app in readers.values():
        await app.state.runtime.engine.dispose()
    assert (len(before["grids"]), len(before["deputies"]), len(before["assignments"])) == (260, 414, 418)

    async with AsyncExitStack() as stack:
        fresh = {name: databases.settings(name, nats_server.url, keys.public) for name in ("grid", "deputy")}
        grid = await start_service(stack, "grid", fresh["grid"])
        deputy = await start_service(stack, "deputy", fresh["deputy"])
        boundaries = rows["boundaries"]
        answer = await upload(grid.client, "/imports/grids", files["grids"], office, commit=True, boundaries=boundaries)
        assert (answer.status_code, answer.json()["created"]) == (200, 260), answer.text[:2000]

        async def count(service, table) -> int:  # type: ignore[no-untyped-def]
            async with service.runtime.maker() as session:
                return (await session.execute(select(func.count()).select_from(table))).scalar_one()

        await eventually(lambda: _equals(count(deputy, KnownGrid), 260), timeout=30)
        answer = await upload(deputy.client, "/imports/deputies", files["deputies"], office, commit=True)
        assert (answer.status_code, answer.json()["created"]) == (200, 414), answer.text[:2000]
        await eventually(lambda: _equals(count(grid, KnownDeputy), 414), timeout=30)
        answer = await upload(grid.client, "/imports/assignments", files["assignments"], office, commit=True)
        assert (answer.status_code, answer.json()["created"]) == (200, 418), answer.text[:2000]

        after = await city_of(grid.client, deputy.client, office)
        expected, found = comparable(before), comparable(after)
        for kind in ("grids", "deputies"):
            assert found[kind].keys() == expected[kind].keys()
            for code, record in expected[kind].items():
                assert found[kind][code] == record, (kind, code)
        assert found["assignments"] == expected["assignments"]
        assert not any(item["is_demo"] for item in after["grids"] + after["deputies"])

        again = await upload(grid.client, "/imports/grids", files["grids"], office, commit=True, boundaries=boundaries)
        assert (again.json()["unchanged"], again.json()["changed"]) == (260, 0)


async def _equals(value: Any, expected: Any) -> bool:
    return await value == expected
