"""A service run as several replicas behind the gateway (`CASE_INTAKE_URL=http://a,http://b`): requests take
them in turn; a replica that refuses connections is passed over for GETs and new POSTs alike; a POST that may
have reached a replica is never sent to another."""

import asyncio
import time
from collections import Counter

import httpx
import pytest
from fastapi import FastAPI, Request

from devstack.supervisor import free_port
from tests.integration.test_gateway_harness import gateway_settings, migrated_app, served
from tests.integration.test_gateway_proxy import DroppingServer


def replica(name: str, seen: Counter) -> FastAPI:
    app = FastAPI(title=f"replica {name}")

    async def cases(request: Request) -> dict:
        seen[(name, request.method)] += 1
        return {"replica": name}

    app.get("/cases", operation_id="list")(cases)
    app.post("/cases", operation_id="file")(cases)

    @app.post("/photos")
    async def photos(request: Request) -> dict:
        seen[(name, "upload")] += 1
        return {"replica": name, "size": len(await request.body())}

    return app


async def _chunks(count: int):  # type: ignore[no-untyped-def]
    for _ in range(count):
        yield b"x" * 65536


@pytest.fixture
def gateway_for(nats_server, databases, keys):  # type: ignore[no-untyped-def]
    """Settings of a gateway whose case_intake is the given replica URLs."""

    def settings(*urls: str):  # type: ignore[no-untyped-def]
        return gateway_settings(
            databases, nats_server.url, keys, case_intake_url=",".join(urls), filing_per_minute=1000
        )

    return settings


async def test_requests_take_the_replicas_in_turn(gateway_for):
    seen: Counter = Counter()
    async with served(replica("a", seen)) as a, served(replica("b", seen)) as b:
        app = await migrated_app(gateway_for(a, b + "/"))
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            for _ in range(10):
                assert (await http.get("/api/case-intake/cases")).status_code == 200
                assert (await http.post("/api/case-intake/cases", json={})).status_code == 200
            concurrent = await asyncio.gather(*(http.get("/api/case-intake/cases") for _ in range(20)))
    assert all(answer.status_code == 200 for answer in concurrent)
    assert seen[("a", "GET")] + seen[("b", "GET")] == 30
    assert seen[("a", "POST")] + seen[("b", "POST")] == 10
    assert sum(seen[("a", method)] for method in ("GET", "POST")) == 20  # half of the 40 requests each


async def test_a_replica_that_is_down_is_passed_over_for_reads_and_new_filings(gateway_for):
    seen: Counter = Counter()
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connections are refused
    async with served(replica("a", seen)) as a:
        app = await migrated_app(gateway_for(down, a))
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            upload = await http.post("/api/case-intake/photos", content=_chunks(8))  # streamed; tries `down` first
            started = time.monotonic()
            reads = [await http.get("/api/case-intake/cases") for _ in range(10)]
            filings = [await http.post("/api/case-intake/cases", json={}) for _ in range(10)]
            elapsed = time.monotonic() - started
            document = (await http.get("/api/openapi.json")).json()
    assert [answer.status_code for answer in reads + filings] == [200] * 20
    assert all(answer.json() == {"replica": "a"} for answer in reads + filings)
    assert upload.json() == {"replica": "a", "size": 8 * 65536}
    assert seen == Counter({("a", "GET"): 10, ("a", "POST"): 10, ("a", "upload"): 1})  # each exactly once
    assert elapsed < 3.0
    assert "case-intake" not in document["info"].get("x-unavailable-services", [])


async def test_a_filing_that_may_have_reached_a_replica_is_not_sent_to_another(gateway_for):
    seen: Counter = Counter()
    async with served(replica("a", seen)) as a, DroppingServer() as dropping:
        app = await migrated_app(gateway_for(f"http://127.0.0.1:{dropping.port}", a))
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            filing = await http.post("/api/case-intake/cases", json={})  # the dropping replica's turn
            read = await http.get("/api/case-intake/cases")  # a's turn
            read_again = await http.get("/api/case-intake/cases")  # the dropping one's turn, then a's
    assert filing.status_code == 503 and filing.headers["content-type"] == "application/problem+json"
    assert seen[("a", "POST")] == 0 and dropping.connections == 2
    assert read.status_code == 200 and read_again.status_code == 200 and seen[("a", "GET")] == 2


async def test_every_replica_url_must_be_http(nats_server, databases, keys):
    settings = gateway_settings(databases, nats_server.url, keys, case_intake_url="http://127.0.0.1:1,ftp://x")
    with pytest.raises(ValueError, match="http://host:port"):
        await migrated_app(settings)
