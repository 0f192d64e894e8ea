"""Villagers told by SMS: the number a villager (or staff for a caller) gave with `contact_preference: sms`
reaches this service alone, on the private CONTACT stream (shared/messaging/catalogue/contact.py), and is kept
as a `CaseContact` while the case is open. The steps a filer hears of (accepted, referred, resolved, rejected,
reopened: domain/notices.py FOLLOWER_STEPS) then go to that number as well as to the devices that follow the
code (logic/deciding.py), under quiet hours and the hourly cap like any message.

The number goes when the villager says stop (`DELETE /contacts/{tracking_code}`: whoever holds the code, as
following does), a day after the case finished (closed, withdrawn, merged: its last messages go out first), when
the retention period ends, or when the person is erased (logic/erasure.py).
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.models import CaseContact, Delivery
from shared.clock import Clock
from shared.messaging.catalogue import CaseClosed, CaseContactGiven, CaseMerged, CaseWithdrawn, EventPayload
from shared.privacy import phone_forms

CONTACT_PREFIX = "contact:"
"""A delivery's recipient when it goes to a case's contact number: `contact:<case id>`."""
FINISHING = {CaseClosed.event_type, CaseMerged.event_type, CaseWithdrawn.event_type}
GRACE = timedelta(days=1)
"""How long a finished case keeps its number: its last messages (held by quiet hours or the cap) still go."""


async def keep_contact(session: AsyncSession, runtime, payload: CaseContactGiven) -> None:  # type: ignore[no-untyped-def]
    """Keep (or replace) the number of a case; the same event again changes nothing."""
    row = await session.get(CaseContact, payload.case_id)
    if row is None:
        session.add(
            CaseContact(
                case_id=payload.case_id,
                tracking_code=payload.tracking_code,
                phone=payload.phone,
                language=payload.language,
                created_at=runtime.clock.now(),
            )
        )
    else:
        row.phone, row.language, row.tracking_code = payload.phone, payload.language, payload.tracking_code


async def contact_of(session: AsyncSession, case_id: str) -> CaseContact | None:
    return await session.get(CaseContact, case_id)


async def finish_if_final(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    """A case closed, withdrawn or merged: its number is kept one more day, then swept."""
    if payload.event_type in FINISHING:
        case_id = getattr(payload, "case_id", None)
        if case_id:
            await session.execute(
                update(CaseContact)
                .where(CaseContact.case_id == case_id, CaseContact.finished_at.is_(None))
                .values(finished_at=runtime.clock.now())
            )


async def stop(session: AsyncSession, tracking_code: str) -> int:
    """The villager says stop: the number of that case goes, and its messages not yet sent are skipped."""
    case_ids = list(
        (await session.scalars(select(CaseContact.case_id).where(CaseContact.tracking_code == tracking_code))).all()
    )
    if not case_ids:
        return 0
    await session.execute(delete(CaseContact).where(CaseContact.case_id.in_(case_ids)))
    await session.execute(
        update(Delivery)
        .where(
            Delivery.recipient.in_([CONTACT_PREFIX + case_id for case_id in case_ids]),
            Delivery.status == "pending",
        )
        .values(status="skipped", reason="skipped: the villager asked to stop SMS")
    )
    return len(case_ids)


async def number_still_given(session: AsyncSession, delivery: Delivery) -> str | None:
    """The number of a contact delivery while the case still has it (not stopped, swept or erased)."""
    contact = await session.get(CaseContact, delivery.recipient.removeprefix(CONTACT_PREFIX))
    if contact is None or not delivery.target or contact.phone not in phone_forms(delivery.target):
        return None
    return delivery.target


async def forget_numbers(session: AsyncSession, numbers: set[str]) -> int:
    """An erasure: every case contact under these numbers."""
    if not numbers:
        return 0
    result = await session.execute(delete(CaseContact).where(CaseContact.phone.in_(numbers)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def sweep_contacts(session: AsyncSession, runtime, clock: Clock | None = None) -> int:  # type: ignore[no-untyped-def]
    """Numbers of cases finished more than a day ago, and any older than the retention period."""
    now: datetime = (clock or runtime.clock).now()
    old = now - timedelta(days=runtime.settings.personal_data_retention_days)
    query = delete(CaseContact).where(or_(CaseContact.finished_at < now - GRACE, CaseContact.created_at < old))
    return int((await session.execute(query)).rowcount or 0)  # type: ignore[attr-defined]
