"""The audit log as one mechanism in every service (shared.audit), tried from outside: only the NPC office reads
`GET /audit`; nobody — not even the service's own database connection — changes or deletes an entry (triggers on
SQLite and PostgreSQL); filters and pages; the client address is the gateway's forwarded one only when the peer
is a trusted proxy, and the request id is the one the request carried."""

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.auth import Principal, Role
from shared.clock import CHINA
from shared.config import SERVICE_PATHS
from shared.db import create_engine
from shared.migrations import upgrade
from tests.support import start_service

AUDITED = ("grid", "deputy", "case_intake", "station_scheduling", "micro_funding", "notification")
SEGMENT = {name: segment for segment, name in SERVICE_PATHS.items()}


def callers(keys) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Everyone who is not the NPC office."""
    return {
        "a villager": keys.headers(Role.villager, subject="villager-1"),
        "a deputy": keys.headers(Role.deputy, subject="deputy-1", deputy_id="0c9d6f7e-6666-4222-8333-944455556666"),
        "station staff": keys.headers(Role.station_staff, subject="staff-1"),
        "an agency officer": keys.headers(Role.agency_officer, subject="officer-1", organisation="water-bureau"),
        "finance": keys.headers(Role.finance, subject="finance-1"),
    }


@pytest.mark.parametrize("name", AUDITED)
async def test_only_the_office_reads_a_services_audit_log(nats_server, databases, keys, name) -> None:
    async with AsyncExitStack() as stack:
        service = await start_service(stack, name, databases.settings(name, nats_server.url, keys.public))
        client = service.client
        anonymous = await client.get("/audit")
        assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
        for who, headers in callers(keys).items():
            refused = await client.get("/audit", headers=headers)
            assert refused.status_code == 403, (name, who, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
        office = await client.get("/audit", headers=keys.headers(Role.npc_office, subject="office-1"))
        assert office.status_code == 200, office.text
        assert set(office.json()) == {"items", "total", "limit", "offset"}
        operation = (await client.get("/openapi.json")).json()["paths"]["/audit"]["get"]
        assert operation["operationId"] == f"{SEGMENT[name]}-audit-list"


@pytest.mark.parametrize("name", AUDITED)
async def test_no_one_changes_or_deletes_an_audit_entry(databases, keys, name) -> None:
    settings = databases.settings(name, "nats://127.0.0.1:1", keys.public)
    await asyncio.to_thread(upgrade, f"services.{name}", settings)
    engine = create_engine(settings)
    office = Principal(subject="office-1", roles=frozenset({Role.npc_office}))
    try:
        async with engine.connect() as connection, connection.begin():
            await audit.record(AsyncSession(bind=connection), office, "test.write", "thing", "t-1", n=1)
        statements = ["UPDATE audit_log SET action = 'test.forged'", "DELETE FROM audit_log"]
        if databases.kind == "postgresql":
            statements.append("TRUNCATE audit_log")
        for statement in statements:
            async with engine.connect() as connection:
                with pytest.raises(DBAPIError, match="append-only"):
                    await connection.execute(text(statement))
                await connection.rollback()
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT action, actor_id FROM audit_log"))).all()
        assert [tuple(row) for row in rows] == [("test.write", "office-1")]
    finally:
        await engine.dispose()


async def test_the_office_filters_and_pages_the_log(nats_server, databases, keys) -> None:
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        client = grid.client
        first, second = (keys.headers(Role.npc_office, subject=subject) for subject in ("office-a", "office-b"))
        made = []
        for index, headers in enumerate([first, first, second]):
            body = {"code": f"TA{index}", "name": f"乡{index}", "level": "township"}
            answer = await client.post("/grids", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
            made.append(answer.json()["id"])
        changed = await client.patch(f"/grids/{made[0]}", json={"name": "新乡", "reason": "更名"}, headers=second)
        assert changed.status_code == 200, changed.text

        async def listed(**params: object) -> dict:
            answer = await client.get("/audit", params=params, headers=first)
            assert answer.status_code == 200, answer.text
            return answer.json()

        everything = await listed()
        assert everything["total"] == 4
        assert [item["action"] for item in everything["items"]] == ["grid.change"] + ["grid.create"] * 3  # newest first
        assert [item["target_id"] for item in everything["items"]] == [made[0], made[2], made[1], made[0]]
        assert (await listed(actor_id="office-a"))["total"] == 2
        assert {item["actor_id"] for item in (await listed(actor_id="office-b"))["items"]} == {"office-b"}
        assert (await listed(action="grid."))["total"] == 4
        assert (await listed(action="grid.create"))["total"] == 3
        assert (await listed(action="grid.change"))["total"] == 1
        assert (await listed(action="grid.cr"))["total"] == 3  # a prefix
        assert (await listed(action="case."))["total"] == 0
        assert (await listed(action="grid_create"))["total"] == 0  # `_` is no wildcard
        assert (await listed(target_type="grid", target_id=made[0]))["total"] == 2
        assert (await listed(target_type="assignment"))["total"] == 0
        today = datetime.now(UTC).astimezone(CHINA).date()
        assert (await listed(date_from=today.isoformat(), date_to=today.isoformat()))["total"] == 4
        assert (await listed(date_to=(today - timedelta(days=1)).isoformat()))["total"] == 0
        assert (await listed(date_from=(today + timedelta(days=1)).isoformat()))["total"] == 0
        pages = [await listed(limit=3, offset=0), await listed(limit=3, offset=3)]
        assert [page["total"] for page in pages] == [4, 4] and [len(page["items"]) for page in pages] == [3, 1]
        assert [item["id"] for page in pages for item in page["items"]] == [item["id"] for item in everything["items"]]
        for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"action": "grid%"}, {"date_from": "2026-13-01"}):
            refused = await client.get("/audit", params=bad, headers=first)
            assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


async def test_the_client_address_is_forwarded_only_by_a_trusted_proxy(nats_server, databases, keys) -> None:
    office = keys.headers(Role.npc_office, subject="office-1")

    async def create(app, peer: str, code: str, forwarded: str) -> dict:  # type: ignore[no-untyped-def]
        transport = httpx.ASGITransport(app=app, client=(peer, 50123))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {**office, "X-Forwarded-For": forwarded, "X-Request-ID": f"req-{code}"}
            answer = await client.post(
                "/grids", json={"code": code, "name": code, "level": "township"}, headers=headers
            )
            assert answer.status_code == 201, answer.text
            assert answer.headers["X-Request-ID"] == f"req-{code}"
            [entry] = (await client.get("/audit", params={"target_id": answer.json()["id"]}, headers=office)).json()[
                "items"
            ]
            assert entry["request_id"] == f"req-{code}"
            return entry

    async with AsyncExitStack() as stack:
        # the default: the gateway on this machine is the only peer whose X-Forwarded-For counts
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        assert (await create(grid.app, "127.0.0.1", "TF1", "203.0.113.7"))["client"] == "203.0.113.7"
        assert (await create(grid.app, "::1", "TF2", "2001:db8::7, 10.0.0.1"))["client"] == "2001:db8::7"
        spoofed = await create(grid.app, "198.51.100.9", "TF3", "203.0.113.8")
        assert spoofed["client"] == "198.51.100.9"  # a stranger's own header is ignored
        assert (await create(grid.app, "127.0.0.1", "TF4", "not-an-address"))["client"] == "127.0.0.1"

    async with AsyncExitStack() as stack:
        settings = databases.settings("grid", nats_server.url, keys.public, trusted_proxies="10.20.0.0/16")
        grid = await start_service(stack, "grid", settings)
        assert (await create(grid.app, "10.20.3.4", "TG1", "203.0.113.9"))["client"] == "203.0.113.9"
        assert (await create(grid.app, "127.0.0.1", "TG2", "203.0.113.9"))["client"] == "127.0.0.1"
