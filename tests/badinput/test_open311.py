"""Open311's POST requests (form-encoded, the spec's error format) given bad input, through the gateway to a
real case intake: each gets a 4xx with `[{code, description}]`, no case is filed, nothing is stored in the
gateway either, and a good request still files afterwards."""

from contextlib import AsyncExitStack

import httpx
import pytest

from shared.auth import Role
from tests.badinput.inputs import LONG
from tests.badinput.worlds import row_counts
from tests.integration.city import build_city
from tests.integration.test_gateway_harness import add_official, bearer, gateway_settings, login, migrated_app, served


@pytest.fixture(scope="module")
async def open311(tmp_path_factory, keys):
    from tests.support import Databases, NatsServer

    folder = tmp_path_factory.mktemp("open311")
    nats, databases = NatsServer(folder / "nats"), Databases(folder)
    nats.start()
    try:
        async with AsyncExitStack() as stack:
            city = await build_city(stack, nats, databases, keys)
            intake = await stack.enter_async_context(served(city.case_intake.app, lifespan=False))
            settings = gateway_settings(databases, nats.url, keys, case_intake_url=intake, filing_per_minute=100_000)
            app = await migrated_app(settings)
            http = await stack.enter_async_context(
                httpx.AsyncClient(base_url=await stack.enter_async_context(served(app)), timeout=20)
            )
            await add_official(app, "office", Role.npc_office)
            office = bearer((await login(http, "office")).json()["access_token"])
            key = (await http.post("/api/admin/api-keys", json={"name": "12345 热线"}, headers=office)).json()["key"]
            yield http, key, city, app
    finally:
        nats.stop()
        await databases.drop_all()


def _form(key: str, city, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    form = {"api_key": key, "service_code": "request.water", "attribute[grid_id]": city.group_id}
    return {**form, "description": "村口水管漏水，请来看看。", **changes}


BAD_FIELDS = {
    "description of 100 KB": {"description": LONG},
    "description with NUL": {"description": "漏水\x00了"},
    "no description": {"description": ""},
    "grid id of 100 KB": {"attribute[grid_id]": LONG},
    "grid id that names nothing": {"attribute[grid_id]": "00000000-0000-4000-8000-000000000000"},
    "grid id with SQL": {"attribute[grid_id]": "' OR 1=1 --"},
    "service code of 100 KB": {"service_code": LONG},
    "unknown service code": {"service_code": "request.moon"},
    "phone of 100 KB": {"phone": LONG},
    "phone that is not a phone": {"phone": "<script>"},
    "unknown api key": {"api_key": "k" * 40},
}


async def _counts(city, app) -> tuple:  # type: ignore[no-untyped-def]
    return await row_counts(city.case_intake.runtime.engine), await row_counts(app.state.gateway.engine)


def _open311_error(answer: httpx.Response) -> list[str]:
    faults = [] if 400 <= answer.status_code < 500 else [f"status {answer.status_code}"]
    try:
        errors = answer.json()
    except ValueError:
        return [*faults, f"not JSON: {answer.text[:200]}"]
    if not (isinstance(errors, list) and errors and all({"code", "description"} <= set(e) for e in errors)):
        faults.append(f"not [{{code, description}}]: {answer.text[:200]}")
    return faults


@pytest.mark.parametrize("changes", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
async def test_bad_fields_are_refused_in_the_specs_format(open311, changes):
    http, key, city, app = open311
    before = await _counts(city, app)
    answer = await http.post("/open311/v2/requests.json", data=_form(key, city, **changes))
    assert not _open311_error(answer), _open311_error(answer)
    assert await _counts(city, app) == before


RAW_BODIES = {
    "bytes that are not UTF-8": (
        b"api_key=K&service_code=request.water&description=%FF%FE",
        "application/x-www-form-urlencoded",
    ),
    "JSON instead of a form": (b'{"description": "x"}', "application/json"),
    "a form of 100 KB": (b"description=" + b"x" * 100_000, "application/x-www-form-urlencoded"),
    "multipart without a boundary": (b"--x\r\n", "multipart/form-data"),
}


@pytest.mark.parametrize(("content", "content_type"), RAW_BODIES.values(), ids=RAW_BODIES.keys())
async def test_bodies_that_are_not_forms_are_refused(open311, content, content_type):
    http, key, city, app = open311
    content = content.replace(b"api_key=K", f"api_key={key}".encode())
    before = await _counts(city, app)
    answer = await http.post("/open311/v2/requests.json", content=content, headers={"Content-Type": content_type})
    assert not _open311_error(answer), _open311_error(answer)
    assert await _counts(city, app) == before


async def test_a_good_request_still_files_afterwards(open311):
    http, key, city, _ = open311
    answer = await http.post("/open311/v2/requests.json", data=_form(key, city))
    assert answer.status_code == 201, answer.text
    (filed,) = answer.json()
    case = await city.case_intake.client.get(f"/cases/{filed['service_request_id']}", headers=city.deputy_headers)
    assert case.status_code == 200 and case.json()["description"] == "村口水管漏水，请来看看。"
