"""Projections of case events keep the newest state whatever order the events arrive in, batched or not."""

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.deputy.models import InboxCase
from services.grid.models import GridCase
from services.micro_funding.models import KnownCase
from shared.messaging.catalogue import CaseAccepted, CaseResolved, CaseSubmittedV2, envelope
from tests.support import case_submitted, start_service

CASE_ID = "0c9d6f7e-5555-4222-8333-944455556666"
DEPUTY_ID = "5a1b2c3d-0000-4000-8000-000000000201"
GRID_ID = "0c9d6f7e-6666-4222-8333-944455556666"
STATUS_OF = {
    "deputy": select(InboxCase.status).where(InboxCase.case_id == CASE_ID, InboxCase.deputy_id == DEPUTY_ID),
    "grid": select(GridCase.status).where(GridCase.case_id == CASE_ID),
    "micro_funding": select(KnownCase.status).where(KnownCase.id == CASE_ID),
}
CASE = {"case_id": CASE_ID, "tracking_code": "SS-2611-00009", "grid_id": GRID_ID, "kind": "request"}
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


def moved(kind, to_status: str, minutes: int):
    at = START + timedelta(minutes=minutes)
    step = kind(**CASE, category="water", from_status="assigned", to_status=to_status, deputy_ids=[DEPUTY_ID], at=at)
    return envelope("/case-intake", step)


@pytest.mark.parametrize("service", list(STATUS_OF))
@pytest.mark.parametrize("batched", [True, False], ids=["one batch", "one by one"])
async def test_an_older_event_arriving_late_does_not_undo_a_newer_one(nats_server, databases, keys, service, batched):
    async with AsyncExitStack() as stack:
        running = await start_service(stack, service, databases.settings(service, nats_server.url, keys.public))
        consumer = next(c for c in running.runtime.consumers if CaseSubmittedV2.event_type in c.handlers)
        accepted, late_submission = (
            moved(CaseAccepted, "accepted", 30),
            envelope("/case-intake", case_submitted(CASE_ID, GRID_ID, [DEPUTY_ID], START)),
        )

        async def status() -> str:
            async with running.runtime.maker() as session:
                return (await session.execute(STATUS_OF[service])).scalar_one()

        if batched:
            await consumer.apply_batch([accepted, late_submission], [{}, {}])
        else:
            await consumer.apply_once(accepted)
            await consumer.apply_once(late_submission)
        assert await status() == "accepted"
        await consumer.apply_once(moved(CaseResolved, "resolved", 90))
        assert await status() == "resolved"
