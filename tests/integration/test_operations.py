"""What an operator relies on: readiness that tells the truth, and a request id that follows the work."""

import json
from contextlib import AsyncExitStack

import nats
from sqlalchemy import select

from tests.integration.city import build_city, case_body
from tests.support import eventually, start_service


async def test_readiness_reports_nats_going_away_and_coming_back(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))

        async def caught_up():
            return (await grid.client.get("/readyz")).status_code == 200

        await eventually(caught_up)  # ready once the events waiting at start are applied
        assert (await grid.client.get("/readyz")).json() == {
            "status": "ok",
            "database": "ok",
            "nats": "ok",
            "events": "ok",
        }
        nats_server.stop()

        async def unready():
            answer = await grid.client.get("/readyz")
            return answer.status_code == 503 and answer.json()["nats"] == "unavailable"

        await eventually(unready)
        assert (await grid.client.get("/healthz")).status_code == 200
        nats_server.start()

        async def ready():
            return (await grid.client.get("/readyz")).status_code == 200

        await eventually(ready, timeout=20)


async def test_the_request_id_travels_with_the_event_it_caused(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        answer = await city.case_intake.client.post(
            "/cases", json=case_body(city), headers={"X-Request-ID": "trace-me-42"}
        )
        assert answer.headers["x-request-id"] == "trace-me-42"
        outbox = city.case_intake.runtime.tables.outbox
        async with city.case_intake.runtime.maker() as session:
            row = (await session.execute(select(outbox.c.headers).order_by(outbox.c.seq.desc()))).first()
        assert json.loads(row.headers)["X-Request-ID"] == "trace-me-42"
        connection = await nats.connect(nats_server.url)
        try:
            subscription = await connection.jetstream().pull_subscribe(
                "case.case.submitted.v2", durable="request-id-check", stream="CASE"
            )

            async def fetched():
                return await subscription.fetch(1, timeout=5)

            message = (await eventually(fetched))[0]
            assert message.headers["X-Request-ID"] == "trace-me-42"
            assert message.headers["Nats-Msg-Id"] == json.loads(message.data)["id"]
        finally:
            await connection.close()
