"""A person's data here (PIPL): erasing a person (identity.person.erased.v1) and the hourly sweep that removes
old messages' numbers.

What this service keeps of a person: its account row (language, an official's own number for SMS), the
browsers it registered (push endpoints and their keys), the cases it follows, its choices, the messages decided
for it (recipient, and the device or number each went to), the stored answers of its requests (idempotency
rows) and, in development, the texts of the SMS outbox file.

Erasure deletes the account row, its devices (with what they follow), its follows and its choices, and the
stored answers of its requests; a number is taken off any other account row that has it. The messages stay,
because the office's figures count them per channel and day, but nothing in them names the person any more:
recipient `anonymous`, target `anonymous:<message id>` (unique, as the once-only key needs), the provider's
reason with its digit runs masked; one still waiting is not sent (skipped). The audit log records who asked,
with the counts only. Applied once per event by the inbox; applied again (the same erasure under a new event
id) it finds nothing and writes no second audit entry.
"""

import asyncio
import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Delete, String, delete, false, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.logic.contacts import forget_numbers, sweep_contacts
from services.notification.models import Account, Delivery, Follow, Preference, PushSubscription, audit_log
from shared.audit import record
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.messaging.catalogue import PersonErased
from shared.privacy import phone_forms, redact
from shared.sms.dev import DevSmsSender

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
"""The recipient of a message whose person was erased, and the start of its target."""
ERASED_REASON = "skipped: the recipient was erased"


def anonymous_target() -> ColumnElement[str]:
    """`anonymous:<the row's id>`: names nobody, and keeps (event, recipient, channel, target) unique."""
    return literal_column(f"'{ANONYMOUS}:'", String) + Delivery.id


async def _count(session: AsyncSession, statement: Delete) -> int:
    return int((await session.execute(statement)).rowcount or 0)  # type: ignore[attr-defined]


async def erase_person(session: AsyncSession, runtime, payload: PersonErased) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Erase what this service keeps under the account or the number, in the inbox's transaction; returns
    the counts the audit entry records."""
    numbers: set[str] = set(phone_forms(payload.phone)) if payload.phone else set()
    account = await session.get(Account, payload.account_id) if payload.account_id else None
    if account is not None and account.phone:
        numbers |= set(phone_forms(account.phone))
    owner = payload.account_id
    devices = list(
        (await session.scalars(select(PushSubscription.id).where(PushSubscription.owner == owner))).all()
        if owner
        else []
    )
    followers = [f"device:{device}" for device in devices] + ([f"account:{owner}"] if owner else [])
    if owner:  # its SMS went to numbers it may have changed since: those are erased too
        query = select(Delivery.target).where(Delivery.recipient == f"account:{owner}", Delivery.channel == "sms")
        for target in (await session.scalars(query)).all():
            if target and not target.startswith(f"{ANONYMOUS}:"):
                numbers |= set(phone_forms(target))
    counts = {
        "follows": await _count(session, delete(Follow).where(Follow.follower.in_(followers))),
        "preferences": await _count(session, delete(Preference).where(Preference.subject == owner)) if owner else 0,
        "devices": await _count(session, delete(PushSubscription).where(PushSubscription.id.in_(devices))),
        "accounts": 0,
    }
    if account is not None:
        await session.delete(account)
        counts["accounts"] = 1
    if numbers:  # the number, taken off any other account that gave it
        query = update(Account).where(Account.phone.in_(numbers), Account.subject != (owner or "")).values(phone=None)
        counts["accounts"] += int((await session.execute(query)).rowcount or 0)  # type: ignore[attr-defined]
    counts["case_contacts"] = await forget_numbers(session, numbers)
    counts["messages"] = await _anonymise(session, runtime.clock.now(), followers, devices, numbers)
    counts["stored_answers"] = await _forget_answers(session, runtime, owner, devices)
    if isinstance(runtime.sms, DevSmsSender) and numbers:
        counts["outbox_messages"] = runtime.sms.forget(numbers)  # no await: no send of ours falls in between
    if not await _recorded(session, payload.erasure_id):
        office = Principal(subject=payload.requested_by, roles=frozenset({Role.npc_office}))
        target_type, target_id = ("account", owner) if owner else ("phone", None)
        await record(session, office, "person.erased", target_type, target_id, erasure_id=payload.erasure_id, **counts)
    return counts


async def _anonymise(
    session: AsyncSession, now: datetime, recipients: list[str], devices: list[str], numbers: set[str]
) -> int:
    names = or_(
        Delivery.recipient.in_(recipients) if recipients else false(),
        (Delivery.channel == "push") & Delivery.target.in_(devices) if devices else false(),
        (Delivery.channel == "sms") & Delivery.target.in_(numbers) if numbers else false(),
    )
    rows = (await session.scalars(select(Delivery).where(names))).all()
    for row in rows:
        row.recipient, row.target = ANONYMOUS, f"{ANONYMOUS}:{row.id}"
        row.reason = redact(row.reason) if row.reason else None
        if row.status in ("pending", "sending"):  # a send in flight finds its claim gone and records nothing
            row.status, row.claimed_until, row.finished_at, row.reason = "skipped", None, now, ERASED_REASON
    await session.flush()
    return len(rows)


async def _forget_answers(session: AsyncSession, runtime, owner: str | None, devices: list[str]) -> int:  # type: ignore[no-untyped-def]
    """The stored answers of its requests: those under its account's scope, and any naming one of its devices
    (registered before it signed in)."""
    table = runtime.tables.idempotency
    conditions = [table.c.response_body.contains(device, autoescape=True) for device in devices]
    if owner:
        conditions.append(table.c.scope.startswith(f"{owner}:", autoescape=True))
    if not conditions:
        return 0
    return await _count(session, delete(table).where(or_(*conditions)))


async def _recorded(session: AsyncSession, erasure_id: str) -> bool:
    """Whether this erasure is in the audit log already (the same erasure delivered under another event id)."""
    mark = json.dumps({"erasure_id": erasure_id})[1:-1]  # `"erasure_id": "…"`, as shared.audit writes detail
    erased = audit_log.c.action == "person.erased"
    query = select(func.count()).where(erased, audit_log.c.detail.contains(mark, autoescape=True))
    return bool(await session.scalar(query))


# --- retention --------------------------------------------------------------------------------------------------


async def forget_old_numbers(session: AsyncSession, runtime, clock: Clock | None = None) -> int:  # type: ignore[no-untyped-def]
    """SMS messages made more than PERSONAL_DATA_RETENTION_DAYS ago lose their number (target → anonymous:<id>);
    the row stays for the figures. Returns how many lost it."""
    now = (clock or runtime.clock).now()
    since = now - timedelta(days=runtime.settings.personal_data_retention_days)
    query = (
        update(Delivery)
        .where(
            Delivery.channel == "sms",
            Delivery.created_at < since,
            Delivery.target != "",
            Delivery.target.not_like(f"{ANONYMOUS}:%"),
        )
        .values(target=anonymous_target())
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(query)).rowcount or 0)  # type: ignore[attr-defined]


async def sweep_retention(runtime, clock: Clock | None = None) -> int:  # type: ignore[no-untyped-def]
    """One sweep in its own transaction (replicas may sweep at once: the update is the same)."""
    async with runtime.maker() as session, session.begin():
        return await forget_old_numbers(session, runtime, clock) + await sweep_contacts(session, runtime, clock)


async def run_retention(runtime) -> None:  # type: ignore[no-untyped-def]
    """The lifespan task: a sweep at start, then every RETENTION_SWEEP_SECONDS (an hour)."""
    while True:
        try:
            if forgotten := await sweep_retention(runtime):
                log.info("retention: %s old messages lost their number", forgotten)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database away: the next sweep
            log.warning("retention sweep paused: %s", error)
        await asyncio.sleep(runtime.policy.retention_sweep_seconds)
