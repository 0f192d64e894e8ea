"""Bad bodies through the running system (the processes of `make run`, on the test database): every write
route of every service, as listed by the gateway's merged OpenAPI document, refuses a body declared over the
limit at once (413) and a body of the wrong content type (4xx), always as problem+json; a body that streams
past the limit is cut off; nothing is stored anywhere, and every process keeps answering."""

import asyncio
import socket
import time
import uuid
from datetime import timedelta

import httpx
import pytest

from devstack.supervisor import wait_for_http
from shared.auth import Principal, Role, issue_token
from shared.db import create_engine
from shared.migrations import SERVICES
from tests.badinput.inputs import example, write_operations
from tests.badinput.worlds import problem_faults, row_counts
from tests.fault.stacks import drop_test_schemas, stack_on_test_database
from tests.support import NatsServer

LIMIT = 12 * 1024 * 1024  # the gateway's MAX_BODY_BYTES
WRONG_TYPES = ("text/plain", "application/xml", "multipart/form-data", "application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    folder = tmp_path_factory.mktemp("through-gateway")
    nats = NatsServer(folder / "nats")
    nats.start()
    stack = stack_on_test_database(folder, nats.url, bus_users=nats.users)
    stack.seed = False
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        nats.stop()
        drop_test_schemas(stack)


@pytest.fixture(scope="module")
def everyone(system) -> dict[str, str]:
    principal = Principal(subject="badinput", roles=frozenset(Role), deputy_id=str(uuid.uuid4()), organisation="x")
    token = issue_token(
        system.private_key.read_bytes(), principal, issuer="deputies-in-the-grid", lifetime=timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {token}"}


def _routes(system) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60  # a service busy starting on a loaded machine: its document comes later
    while (document := httpx.get(f"{system.gateway_url}/api/openapi.json", timeout=30).json())["info"].get(
        "x-unavailable-services"
    ) and time.monotonic() < deadline:
        time.sleep(1)
    assert not document["info"].get("x-unavailable-services"), document["info"]
    routes = []
    for operation in write_operations(document):
        if not operation.path.startswith("/api/") or operation.path.startswith("/api/auth/totp/setup"):
            continue
        path = operation.path
        for name, schema in zip(operation.path_params, operation.param_schemas, strict=True):
            value = example(schema)
            path = path.replace("{" + name + "}", str(uuid.uuid4()) if "-" in str(value) else str(value))
        routes.append((operation.method.upper(), path))
    return routes


def _declared_over_the_limit(port: int, method: str, path: str, headers: dict[str, str]) -> bytes:
    """Declare a body one byte over the limit, send a little of it, and read what comes back."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {LIMIT + 1}"]
    lines += [f"{name}: {value}" for name, value in headers.items()] + ["Content-Type: application/json", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall("\r\n".join(lines).encode() + b'{"description": "')
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


async def _everything_counted(system) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    counts = {}
    for name in (*SERVICES, "gateway"):
        engine = create_engine(system.settings_for(name))
        counts[name] = await row_counts(engine)
        await engine.dispose()
    return counts


def test_bodies_over_the_limit_and_of_the_wrong_type_are_refused(system, everyone):
    routes = _routes(system)
    assert len(routes) > 40
    before = asyncio.run(_everything_counted(system))
    faults = []
    port = system.gateway_port
    with httpx.Client(base_url=system.gateway_url, headers=everyone, timeout=30) as http:
        for method, path in routes:
            answer = _declared_over_the_limit(port, method, path, everyone)
            head, _, body = answer.partition(b"\r\n\r\n")
            if (
                not head.startswith(b"HTTP/1.1 413")
                or b"application/problem+json" not in head
                or b'"detail"' not in body
            ):
                faults.append(f"{method} {path} over the limit: {head[:200]!r}")
            for content_type in WRONG_TYPES:
                wrong = http.request(method, path, content=b'{"a": 1}', headers={"Content-Type": content_type})
                if problem := problem_faults(wrong):
                    faults.append(f"{method} {path} as {content_type}: {problem}")
        streamed = http.post("/api/case-intake/cases", content=(b"x" * 65536 for _ in range(LIMIT // 65536 + 2)))
        faults += [f"a streamed body past the limit: {fault}" for fault in problem_faults(streamed)]
        own = http.post(
            "/api/auth/login", content=b"{" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
        )
        faults += [f"the gateway's own route: {fault}" for fault in problem_faults(own)]
    assert streamed.status_code == 413 and own.status_code == 413
    assert not faults, "\n".join(faults)
    assert asyncio.run(_everything_counted(system)) == before
    for port in system.service_ports.values():
        wait_for_http(f"http://127.0.0.1:{port}/readyz", timeout=5)
    wait_for_http(f"{system.gateway_url}/readyz", timeout=5)
