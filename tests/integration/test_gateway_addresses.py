"""Client addresses: a forged X-Forwarded-For from an untrusted peer moves nothing — the limits count the real
address, and the services are told the address the gateway decided, not what the client wrote."""

import asyncio
import os
import subprocess
import sys

import httpx

from devstack.supervisor import free_port, wait_for_http
from shared.config import PROJECT_ROOT
from shared.migrations import upgrade
from tests.integration.test_gateway_harness import gateway_settings, migrated_app, served
from tests.integration.test_gateway_proxy import upstream_app


def _environment(settings, port: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {key: value for key, value in os.environ.items() if not key.isupper() or key in ("PATH", "HOME", "LANG")}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        DATABASE_URL=settings.database_url,
        NATS_URL=settings.nats_url,
        TOKEN_PRIVATE_KEY_FILE=str(settings.token_private_key_file),
        TOKEN_PUBLIC_KEY_FILE=str(settings.token_public_key_file),
        ENCRYPTION_KEYS_FILE=str(settings.encryption_keys_file),
        CASE_INTAKE_URL=settings.case_intake_url,
        SIGNIN_PER_MINUTE="3",
        LOG_LEVEL="WARNING",
    )
    if settings.database_schema:
        env["DATABASE_SCHEMA"] = settings.database_schema
    return env


async def test_a_forged_forwarded_for_from_a_local_caller_neither_resets_limits_nor_reaches_services(
    nats_server, databases, keys, tmp_path
):
    # The gateway as it is started (`python -m gateway`), over real TCP from 127.0.0.1 — the peer uvicorn
    # believes by default — with TRUSTED_PROXIES empty.
    async with served(upstream_app()) as upstream:
        settings = gateway_settings(
            databases, nats_server.url, keys, case_intake_url=upstream, encryption_keys_file=tmp_path / "enc.key"
        )
        await asyncio.to_thread(upgrade, "gateway", settings)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=_environment(settings, port),
        )
        try:
            await asyncio.to_thread(wait_for_http, f"http://127.0.0.1:{port}/healthz")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                statuses = []
                for index in range(4):
                    answer = await http.post(
                        "/api/auth/login",
                        json={"username": "nobody", "password": "wrong-password"},
                        headers={"X-Forwarded-For": f"203.0.113.{index}"},
                    )
                    statuses.append(answer.status_code)
                assert statuses == [401, 401, 401, 429]  # SIGNIN_PER_MINUTE=3 for 127.0.0.1, whatever it claims
                echoed = await http.get("/api/case-intake/echo", headers={"X-Forwarded-For": "198.51.100.9"})
                assert echoed.json()["headers"]["x-forwarded-for"] == "127.0.0.1"
        finally:
            process.terminate()
            process.wait(timeout=15)


async def test_behind_a_trusted_proxy_the_client_it_names_is_limited_and_passed_on(nats_server, databases, keys):
    async with served(upstream_app()) as upstream:
        settings = gateway_settings(
            databases,
            nats_server.url,
            keys,
            case_intake_url=upstream,
            trusted_proxies="127.0.0.0/8, 10.1.0.0/16",
            filing_per_minute=2,
        )
        app = await migrated_app(settings)
        async with served(app, proxy_headers=False) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            # the load balancer (127.0.0.1, trusted) appends what it saw; a client-written first hop is ignored
            via = {"X-Forwarded-For": "1.2.3.4, 192.0.2.50, 10.1.2.3"}
            echoed = await http.get("/api/case-intake/echo", headers=via)
            assert echoed.json()["headers"]["x-forwarded-for"] == "192.0.2.50"
            filed = [(await http.post("/api/case-intake/cases", json={}, headers=via)).status_code for _ in range(3)]
            assert filed == [201, 201, 429]
            other = {"X-Forwarded-For": "192.0.2.51"}  # another client behind the same balancer has its own limit
            assert (await http.post("/api/case-intake/cases", json={}, headers=other)).status_code == 201
