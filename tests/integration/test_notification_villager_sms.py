"""A villager who asked for SMS about their case (or for whom staff filed so) is texted the steps a filer hears of,
through real NATS and the service's database: once per step, to the number given, never again after they said
stop; the number leaves with the case a day after it finished, and at once when the person is erased."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.notification.logic.erasure import sweep_retention
from services.notification.models import CaseContact
from shared.clock import MovableClock
from shared.messaging.catalogue import CaseAccepted, CaseClosed, CaseContactGiven, PersonErased
from tests.integration.test_notification_service import publish, push_env, resolved, started
from tests.support import eventually, found_in, text_dump

__all__ = ["push_env"]

PHONE = "13655554444"
CODE = "SS-7KQ3-M9XD-2PWA"


def given(case_id: str, phone: str = PHONE, code: str = CODE) -> CaseContactGiven:
    return CaseContactGiven(
        case_id=case_id, tracking_code=code, grid_id=str(uuid.uuid4()), phone=phone, at=datetime.now(UTC)
    )


def step(kind, case_id: str, from_status: str, to_status: str, code: str = CODE):  # type: ignore[no-untyped-def]
    return kind(
        case_id=case_id,
        tracking_code=code,
        grid_id=str(uuid.uuid4()),
        kind="request",
        category="water",
        from_status=from_status,
        to_status=to_status,
        deputy_ids=["d"],
        at=datetime.now(UTC),
    )


async def texts_to(service, phone: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["text"] for item in (await service.client.get("/dev/sms")).json() if item["phone"] == phone]


async def contacts(service) -> list[str]:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as session:
        return list((await session.scalars(select(CaseContact.case_id))).all())


async def test_the_villager_is_texted_each_step_once_until_they_say_stop(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys)
        case_id = str(uuid.uuid4())
        await publish(nats_server.url, given(case_id), source="/case-intake")
        await eventually(lambda: _has(service, case_id))
        await publish(nats_server.url, step(CaseAccepted, case_id, "assigned", "accepted"), same_event_twice=True)

        async def accepted_once():
            texts = await texts_to(service, PHONE)
            return len(texts) == 1 and CODE in texts[0] and "受理" in texts[0]

        await eventually(accepted_once)
        assert (await service.client.delete(f"/contacts/{CODE}")).status_code == 204
        assert (await service.client.delete("/contacts/SS-0000-0000-0000")).status_code == 204  # tells nothing
        await publish(nats_server.url, resolved(case_id, code=CODE))
        other = str(uuid.uuid4())  # the next event is applied after the resolved one: nothing came of it
        await publish(nats_server.url, given(other, phone="13600000000", code="SS-AAAA-BBBB-CCCC"))
        await eventually(lambda: _has(service, other))
        assert len(await texts_to(service, PHONE)) == 1
        assert case_id not in await contacts(service)


async def _has(service, case_id: str) -> bool:  # type: ignore[no-untyped-def]
    return case_id in await contacts(service)


async def test_the_number_goes_a_day_after_the_case_finished_and_at_once_on_erasure(
    push_env, nats_server, databases, keys
):
    async with AsyncExitStack() as stack:
        service = await started(stack, nats_server, databases, keys)
        closed_case, open_case = str(uuid.uuid4()), str(uuid.uuid4())
        await publish(nats_server.url, given(closed_case, code="SS-CCCC-0000-0001"), given(open_case))
        await eventually(lambda: _has(service, open_case))
        await publish(nats_server.url, step(CaseClosed, closed_case, "resolved", "closed", code="SS-CCCC-0000-0001"))

        async def finished():
            async with service.runtime.maker() as session:
                row = await session.get(CaseContact, closed_case)
                return row is not None and row.finished_at is not None

        await eventually(finished)
        assert await sweep_retention(service.runtime) == 0  # its last messages may still be waiting
        later = MovableClock(datetime.now(UTC) + timedelta(days=2))
        assert await sweep_retention(service.runtime, later) == 1
        assert await contacts(service) == [open_case]

        erasure = PersonErased(
            erasure_id=str(uuid.uuid4()), account_id=None, phone=PHONE, requested_by="office-1", at=datetime.now(UTC)
        )
        await publish(nats_server.url, erasure, source="/gateway")

        async def erased():
            return await contacts(service) == []

        await eventually(erased)
        assert found_in(await text_dump(service.runtime.engine), PHONE) == []
