"""schemathesis against the case service's OpenAPI, over HTTP, with the office's token: no server errors, and
every answer (status, content type, body) as the document declares it. A real grid service answers the look-up
of filed points (it knows no grid here, so a point is refused with 422, never a 5xx)."""

import asyncio
from contextlib import AsyncExitStack

import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import positive_data_acceptance

from devstack.supervisor import free_port
from tests.integration.city import build_town
from tests.integration.test_gateway_harness import served
from tests.support import start_service

EXAMPLES = 6
# A schema-valid body may still name a grid, category or case that does not exist: the rules answer 422 or 404
# (documented), which this heuristic check would count as a failure.
EXCLUDED = [positive_data_acceptance]
# The probes are for the orchestrator: /readyz answers 503 while the service catches up with its events.
PROBES = ("/healthz", "/readyz")


def check_all(schema, base_url: str, headers: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in PROBES:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=EXCLUDED)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.label}: {str(error)[:600]}")
    return failures


async def test_every_operation_answers_as_its_openapi_says(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        grid_url = await stack.enter_async_context(served(grid.app, lifespan=False))
        town = await build_town(stack, nats_server, databases, keys, grid_url=grid_url)
        await town.file(town.villager())
        port = free_port()
        config = uvicorn.Config(town.case_intake.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.02)
            schema = schemathesis.openapi.from_dict(town.case_intake.app.openapi())
            failures = await asyncio.to_thread(check_all, schema, f"http://127.0.0.1:{port}", town.office())
        finally:
            server.should_exit = True
            await serving
        assert not failures, "\n".join(failures)
