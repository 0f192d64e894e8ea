"""The gateway in front of the real processes of `make run`: an access matrix over every route of every
service with every role and none, live updates across processes, the merged documents, and a service
that goes down."""

import asyncio
import contextlib
import os
import re
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from devstack.supervisor import Stack, free_port
from gateway.identity.accounts import hasher, new_account
from gateway.settings import GatewaySettings
from shared.auth import Principal, Role, issue_token
from shared.db import create_engine, create_sessionmaker
from shared.migrations import SERVICES, upgrade
from tests.support import drop_schemas

ISSUER = "deputies-in-the-grid"
OFFICE_PASSWORD = "matrix-office-password"
ROLES: list[Role | None] = [None, *Role]
MUTATING = {"post", "put", "patch", "delete"}

# Who may use a route whatever the data (the role gate comes before any look-up). Everyone else: 403, or
# 401 without a token.
ONLY = {
    "grid-create": {Role.npc_office},
    "assignment-create": {Role.npc_office},
    "deputy-register": {Role.npc_office},
    "fund-pool-create": {Role.finance},
    "objection-create": {Role.villager},  # 公示 objections are made under a real name
    "objection-rule-many": {Role.npc_office},
}
ADMIN_PREFIX = "admin-"  # /api/admin/...: the NPC office only

# Writes that a caller without an account may make (sign-in, filing, the tracking-code holder's moves).
ANONYMOUS_WRITES = {
    "auth-login",
    "auth-otp-request",
    "auth-otp-verify",
    "auth-refresh",
    "auth-logout",
    "case-submit",
    "case-support",  # "me too" on a case, which villagers who filed anonymously may add
    "notification-contact-stop",  # "stop the SMS about this case": whoever holds the tracking code
    "open311-request-create",
}
# Routes whose 401 is about what they check rather than the bearer token: credentials exchanged for tokens,
# and TOTP, which needs an account the gateway knows (the matrix's minted tokens name none).
NOT_ABOUT_THE_TOKEN = {
    "auth-login",
    "auth-otp-verify",
    "auth-refresh",
    "auth-totp-setup",
    "auth-totp-enable",
    "auth-totp-disable",
    "integration-events",  # integrators' feed: an API key (X-Api-Key), never a person's token
}
ANONYMOUS_WRITE_PATHS = re.compile(r"^/api/case-intake/cases/track/")
SKIPPED = {"live-stream"}  # an endless stream: tests/integration/test_gateway_live.py


class Examples:
    """Minimal valid values for JSON schemas of the merged OpenAPI document."""

    def __init__(self, document: dict, ids: dict[str, str]) -> None:
        self.components = document.get("components", {}).get("schemas", {})
        self.ids = ids

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].split("/")[-1]]
        return schema

    def value(self, schema: dict, name: str = "") -> Any:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [option for option in schema[key] if self.resolve(option).get("type") != "null"]
                return self.value(options[0] if options else schema[key][0], name)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], name)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            required = schema.get("required", [])
            return {
                key: self.value(value, key) for key, value in schema.get("properties", {}).items() if key in required
            }
        if kind == "array":
            return [self.value(schema.get("items", {}), name) for _ in range(schema.get("minItems", 0))]
        if kind == "integer":
            return max(schema.get("minimum", 1), min(1, schema.get("maximum", 1)))
        if kind == "number":
            return float(max(schema.get("minimum", 1), min(1, schema.get("maximum", 1))))
        if kind == "boolean":
            return True
        return self.string(schema, name)

    def string(self, schema: dict, name: str) -> str:
        if name in self.ids:
            return self.ids[name]
        fmt = schema.get("format")
        if fmt == "date":
            return (date.today() + timedelta(days=7)).isoformat()
        if fmt == "date-time":
            return datetime.now(UTC).isoformat()
        if fmt == "email":
            return "someone@example.com"
        pattern = schema.get("pattern")
        candidates = [str(uuid.uuid4()), "T01", "SS-2611-00001", "13812345678", "2026", "abc", "1234.50", "1", "x"]
        if pattern:
            for candidate in candidates:
                if re.fullmatch(pattern, candidate):
                    return candidate
        low, high = schema.get("minLength", 1), schema.get("maxLength", 40)
        return ("矩阵测试" * 20)[: max(low, min(4, high))]


class Matrix:
    def __init__(self, http: httpx.Client, document: dict, tokens: dict[Role | None, str | None], ids: dict) -> None:
        self.http = http
        self.document = document
        self.tokens = tokens
        self.examples = Examples(document, ids)
        self.failures: list[str] = []
        self.tried = 0

    def operations(self):  # type: ignore[no-untyped-def]
        for path, item in sorted(self.document["paths"].items()):
            for method, operation in item.items():
                if isinstance(operation, dict) and operation.get("operationId") not in SKIPPED:
                    yield path, method, operation

    def request(self, path: str, method: str, operation: dict) -> dict[str, Any]:
        params: dict[str, Any] = {}
        headers: dict[str, str] = {}
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            if where == "path":
                path = path.replace("{" + name + "}", str(self.examples.value(parameter.get("schema", {}), name)))
            elif parameter.get("required") and where == "query":
                params[name] = self.examples.value(parameter.get("schema", {}), name)
            elif parameter.get("required") and where == "header":
                headers[name] = str(self.examples.value(parameter.get("schema", {}), name))
        request: dict[str, Any] = {"method": method.upper(), "url": path, "params": params, "headers": headers}
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            request["json"] = self.examples.value(content["application/json"].get("schema", {}))
        elif "application/x-www-form-urlencoded" in content:
            request["data"] = {"service_code": "request.water", "description": "矩阵", "api_key": "nope"}
        return request

    def check(self, path: str, method: str, operation: dict) -> None:
        operation_id = operation.get("operationId", f"{method} {path}")
        for role in ROLES:
            request = self.request(path, method, operation)
            token = self.tokens[role]
            if token:
                request["headers"]["Authorization"] = f"Bearer {token}"
            answer = self.http.request(**request)
            self.tried += 1
            status, who = answer.status_code, role.value if role else "anonymous"
            if status >= 500:
                self.failures.append(f"{operation_id} as {who}: {status} {answer.text[:200]}")
            elif role is not None and status == 401 and operation_id not in NOT_ABOUT_THE_TOKEN:
                self.failures.append(f"{operation_id} as {who}: 401 with a valid token")
            elif (allowed := self.allowed(operation_id)) is not None:
                denied = status in (401, 403)
                if (role in allowed) == denied:
                    self.failures.append(f"{operation_id} as {who}: {status}, allowed are {sorted(allowed)}")
            elif (
                role is None
                and method in MUTATING
                and 200 <= status < 300
                and not self.anonymous_write(operation_id, path)
            ):
                self.failures.append(f"{operation_id} anonymously: {status}: a write without signing in")

    @staticmethod
    def allowed(operation_id: str) -> set[Role] | None:
        if operation_id.startswith(ADMIN_PREFIX):
            return {Role.npc_office}
        return ONLY.get(operation_id)

    @staticmethod
    def anonymous_write(operation_id: str, path: str) -> bool:
        return operation_id in ANONYMOUS_WRITES or bool(ANONYMOUS_WRITE_PATHS.match(path))


def _stack_databases(stack: Stack) -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return []
    label = uuid.uuid4().hex[:8]
    for name in [*SERVICES, "gateway"]:
        stack.database_urls[name] = url
        stack.database_schemas[name] = f"{name}_{label}"
    return list(stack.database_schemas.values())


async def _add_office(settings: GatewaySettings) -> None:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        session.add(new_account("matrix-office", hasher.hash(OFFICE_PASSWORD), "代表工委", [Role.npc_office]))
        await session.commit()
    await engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(var_dir=tmp_path_factory.mktemp("gateway-var"), gateway_port=free_port(), seed=False)
    schemas = _stack_databases(stack)
    limits = {
        "SIGNIN_PER_MINUTE": "1000",
        "FILING_PER_MINUTE": "1000",
        "OTP_PER_MINUTE": "100",
        "OTP_PER_HOUR": "100",
        "OPENAPI_CACHE_SECONDS": "0",
    }
    saved = {key: os.environ.get(key) for key in limits}
    os.environ.update(limits)
    try:
        stack._ensure_keys()
        gateway_settings = GatewaySettings(
            database_url=stack.settings_for("gateway").database_url,
            database_schema=stack.settings_for("gateway").database_schema,
            token_private_key_file=stack.private_key,
        )
        upgrade("gateway", gateway_settings)
        asyncio.run(_add_office(gateway_settings))
        stack.start()
        yield stack
    finally:
        stack.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if schemas:
            asyncio.run(drop_schemas(os.environ["TEST_DATABASE_URL"], schemas))


def _token(stack: Stack, role: Role, **claims: Any) -> str:
    principal = Principal(subject=str(uuid.uuid4()), roles=frozenset({role}), **claims)
    return issue_token(stack.private_key.read_bytes(), principal, issuer=ISSUER, lifetime=timedelta(minutes=30))


def _created(http: httpx.Client, path: str, body: dict, headers: dict) -> dict:
    answer = http.post(path, json=body, headers=headers)
    assert answer.status_code == 201, f"{path}: {answer.status_code} {answer.text}"
    return answer.json()


def _office(http: httpx.Client) -> dict[str, str]:
    login = http.post("/api/auth/login", json={"username": "matrix-office", "password": OFFICE_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _make_city(http: httpx.Client, office: dict[str, str], prefix: str) -> dict[str, str]:
    """A township, village and group with a deputy assigned, made through the gateway by the office."""
    grids = "/api/grid/grids"
    township = _created(http, grids, {"code": prefix, "name": f"{prefix}乡", "level": "township"}, office)
    village = _created(
        http,
        grids,
        {"code": f"{prefix}01", "name": f"{prefix}村", "level": "village", "parent_id": township["id"]},
        office,
    )
    group = _created(
        http,
        grids,
        {"code": f"{prefix}0101", "name": f"{prefix}组", "level": "group", "parent_id": village["id"]},
        office,
    )
    deputy = _created(
        http,
        "/api/deputy/deputies",
        {
            "code": f"D{abs(hash(prefix)) % 10000:04d}",
            "name": f"{prefix}代表",
            "level": "township",
            "district": "第1选区",
        },
        office,
    )
    _created(
        http,
        "/api/grid/assignments",
        {"grid_id": group["id"], "deputy_id": deputy["id"], "starts_on": date.today().isoformat()},
        office,
    )
    return {"group_id": group["id"], "deputy_id": deputy["id"], "township_id": township["id"]}


@pytest.fixture(scope="module")
def city(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        office = _office(http)
        return {"office": office, **_make_city(http, office, "MX")}


def _file(http: httpx.Client, group_id: str, headers: dict | None = None) -> httpx.Response:
    body = {"kind": "request", "category": "water", "description": "矩阵村的水管漏水", "grid_id": group_id}
    return http.post("/api/case-intake/cases", json=body, headers=headers or {})


def _wait_routed(http: httpx.Client, group_id: str, timeout: float = 20) -> None:
    """Case intake knows the group's deputy once the assignment event has arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        board = http.get("/api/grid/assignments", params={"grid_id": group_id})
        if board.status_code == 200 and board.json()["total"]:
            break
        time.sleep(0.1)
    time.sleep(0.5)


def test_every_route_answers_every_role_as_it_should_and_never_with_a_5xx(stack, city):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        _wait_routed(http, city["group_id"])
        villager = _token(stack, Role.villager)
        filed = _file(http, city["group_id"], {"Authorization": f"Bearer {villager}"})
        assert filed.status_code == 201, filed.text
        document = http.get("/api/openapi.json").json()
        assert not document["info"].get("x-unavailable-services"), document["info"]
        assert http.get("/openapi.json").json() == document  # where API tools look for it first
        tokens: dict[Role | None, str | None] = {
            None: None,
            Role.villager: villager,
            Role.deputy: _token(stack, Role.deputy, deputy_id=city["deputy_id"]),
            Role.station_staff: _token(stack, Role.station_staff),
            Role.agency_officer: _token(stack, Role.agency_officer, organisation="water-bureau"),
            Role.npc_office: city["office"]["Authorization"][7:],
            Role.finance: _token(stack, Role.finance),
        }
        ids = {
            "grid_id": city["group_id"],
            "deputy_id": city["deputy_id"],
            "township_id": city["township_id"],
            "case_id": filed.json()["id"],
            "tracking_code": filed.json()["tracking_code"],
            "fmt": "json",
        }
        matrix = Matrix(http, document, tokens, ids)
        for path, method, operation in matrix.operations():
            matrix.check(path, method, operation)
    services = {path.split("/")[2] for path in document["paths"] if path.startswith("/api/")}
    assert {"grid", "deputy", "case-intake", "station-scheduling", "micro-funding", "auth", "admin"} <= services
    assert matrix.tried > 7 * 50
    assert not matrix.failures, "\n".join(matrix.failures)


def test_a_deputy_sees_a_case_filed_in_their_grid_within_a_second_across_processes(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        city = _make_city(http, _office(http), "LV")  # a city of its own: the matrix changes its one
    deputy = _token(stack, Role.deputy, deputy_id=city["deputy_id"])
    lines: list[tuple[float, str]] = []
    opened = threading.Event()

    def listen() -> None:
        url = stack.gateway_url + "/api/live"
        try:
            with httpx.stream("GET", url, params={"access_token": deputy}, timeout=20) as answer:
                opened.set()
                reader = answer.iter_lines()
                try:
                    for line in reader:
                        lines.append((time.monotonic(), line))
                        if '"event_id"' in line:
                            break
                finally:
                    with contextlib.suppress(Exception):
                        reader.close()
        except httpx.HTTPError:
            return

    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        _wait_routed(http, city["group_id"])
        threading.Thread(target=listen, daemon=True).start()
        assert opened.wait(10)
        deadline = time.monotonic() + 5
        while not any(line.startswith("event: ready") for _, line in lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        filed = _file(http, city["group_id"])
        assert filed.status_code == 201, filed.text
        case_id = filed.json()["id"]
        while time.monotonic() - started < 3 and not any(case_id in line for _, line in lines):
            time.sleep(0.01)
    arrived = next((at for at, line in lines if case_id in line), None)
    assert arrived is not None, (filed.json(), lines)
    assert arrived - started < 1.0


def test_the_public_api_is_described_in_one_place(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        document = http.get("/api/openapi.json").json()
        assert document["openapi"].startswith("3.")
        assert "/api/case-intake/cases" in document["paths"] and "/api/auth/login" in document["paths"]
        assert "/open311/v2/requests.{fmt}" in document["paths"]
        ids = [op["operationId"] for item in document["paths"].values() for op in item.values() if "operationId" in op]
        assert len(ids) == len(set(ids))
        refs = set(re.findall(r'"#/components/schemas/([^"]+)"', httpx.Response(200, json=document).text))
        assert refs <= set(document["components"]["schemas"])
        events = http.get("/api/asyncapi.json").json()
        assert events["asyncapi"] == "2.6.0" and "case.case.submitted.v2" in events["channels"]
        page = http.get("/api/docs")
        assert page.status_code == 200 and '<script src="/api/docs/docs.js"' in page.text
        assert "<script>" not in page.text and "cdn" not in page.text.lower()
        assert http.get("/api/docs/docs.js").status_code == 200


def test_a_service_that_is_down_answers_503_quickly_and_the_rest_keeps_working(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        assert http.get("/api/micro-funding/fund-pools").status_code == 200
        stack.kill("micro_funding")
        try:
            started = time.monotonic()
            answer = http.get("/api/micro-funding/fund-pools")
            assert answer.status_code == 503 and time.monotonic() - started < 1.0
            assert answer.headers["content-type"] == "application/problem+json"
            assert http.get("/api/grid/grids").status_code == 200
            document = http.get("/api/openapi.json").json()
            assert "micro-funding" in document["info"].get("x-unavailable-services", [])
        finally:
            stack.start_service("micro_funding")
            from devstack.supervisor import wait_for_http

            wait_for_http(f"http://127.0.0.1:{stack.service_ports['micro_funding']}/healthz")


def _merged_document() -> dict:
    """The document /api/openapi.json serves, built without starting anything (as tests/contract does)."""
    from importlib import import_module

    from gateway.app import create_app
    from gateway.edge.documents import gateway_openapi
    from gateway.edge.openapi_merge import merge
    from shared.auth import generate_keypair
    from shared.config import SERVICE_PACKAGES, SERVICE_PATHS, Settings

    with tempfile.TemporaryDirectory() as folder:
        private, public = Path(folder) / "key.pem", Path(folder) / "key.pub.pem"
        generate_keypair(private, public)
        memory = "sqlite+aiosqlite:///:memory:"
        services = {
            segment: import_module(f"{SERVICE_PACKAGES[name]}.app")
            .create_app(Settings(service_name=name, database_url=memory, token_public_key_file=public))
            .openapi()
            for segment, name in SERVICE_PATHS.items()
        }
        gateway = create_app(GatewaySettings(database_url=memory, token_private_key_file=private))
        return merge(gateway_openapi(gateway), services)


@pytest.fixture(scope="module")
def office_headers(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as http:
        return _office(http)


merged = (
    schemathesis.openapi.from_dict(_merged_document())
    .include(path_regex=r"^/(api/(auth|admin|openapi|asyncapi)|open311/)")
    .exclude(operation_id="live-stream")
)


@merged.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_merged_document_holds_for_the_gateways_own_routes_signed_in(case, stack, office_headers):
    # A negative case may be testing a missing Authorization header: it goes without one.
    headers = {} if case.meta.generation.mode == GenerationMode.NEGATIVE else office_headers
    # positive_data_acceptance is off: a schema-valid sign-in with a wrong password is refused by design
    case.call_and_validate(base_url=stack.gateway_url, headers=headers, excluded_checks=[positive_data_acceptance])
