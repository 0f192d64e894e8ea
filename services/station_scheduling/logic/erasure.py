"""Erasing a villager (PIPL, `identity.person.erased.v1`): what the station keeps under their account or phone.

Their bookings stay as places that were taken (the session's figures count them) but lose the visitor's name and
phone, the account that booked, and the topic in their own words. The reception records of those bookings are the
station's minutes and count in its statistics: they stay, with the person's name and numbers scrubbed from their
texts (shared.privacy.scrub) — and so does the copy of a record's summary in its issue event in the outbox (and the
account's id leaves the booking events there). Another visitor's record that writes down one of the person's
numbers is about them too: it is scrubbed the same way (their name is known from the desk's walk-ins under that
number); another visitor's topic keeps its words without the number. A name alone is not looked for elsewhere: two
villagers may share it. Stored answers to Idempotency-Keys that carry any of it are deleted (a replay of such a
request then runs again instead of answering with the erased data).

An erasure is applied once: the audit entry `person.erased` (target: the erasure) is written in the same
transaction, and a second event for the same erasure finds it and changes nothing.
"""

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import Booking, ReceptionRecord, audit_log, tables
from shared import audit
from shared.auth import Principal, Role
from shared.messaging.catalogue import (
    BookingMade,
    BookingPromoted,
    PersonErased,
    SessionCancelled,
    StationIssueRaised,
)
from shared.privacy import ERASED_WORDS, phone_forms, scrub

ERASED = "person.erased"
RECORD_TEXTS = ("raised", "discussed", "answer", "summary")
CHUNK = 200
"""Ids looked for in one statement (SQLite bounds an expression's depth)."""


async def already_erased(db: AsyncSession, erasure_id: str) -> bool:
    """This erasure was applied here before (its audit entry is there)."""
    query = select(audit_log.c.id).where(audit_log.c.action == ERASED, audit_log.c.target_id == erasure_id)
    return (await db.execute(query.limit(1))).first() is not None


async def erase_person(db: AsyncSession, erasure: PersonErased) -> None:
    """Apply one erasure in the caller's (the inbox's) transaction."""
    if await already_erased(db, erasure.erasure_id):
        return
    phones = phone_forms(erasure.phone) if erasure.phone else []
    bookings = await _bookings_of(db, erasure.account_id, phones)
    names = {booking.visitor_name for booking in bookings if booking.visitor_name}
    owners = {booking.owner for booking in bookings if booking.owner} | ({erasure.account_id} - {None})
    for booking in bookings:
        booking.visitor_name = booking.visitor_phone = booking.owner = None
        booking.topic = ERASED_WORDS
    booking_ids = [booking.id for booking in bookings]
    records = await _records(db, booking_ids, phones)
    changed = [record for record in records if _scrub_record(record, names, phones)]
    masked_topics = await _mask_topics(db, phones)
    await db.flush()
    await _rewrite_issue_events(db, [record for record in changed if record.case_id])
    for owner in sorted(owners):  # type: ignore[type-var]
        await _forget_owner_in_events(db, owner)
    keys = await _forget_answers(db, erasure.account_id, [*booking_ids, *(record.id for record in records)], phones)
    office = Principal(subject=erasure.requested_by, roles=frozenset({Role.npc_office}))
    detail = {"bookings": len(bookings), "records": len(changed), "topics": masked_topics, "idempotency_keys": keys}
    await audit.record(db, office, ERASED, "erasure", erasure.erasure_id, erasure_id=erasure.erasure_id, **detail)


async def _bookings_of(db: AsyncSession, account_id: str | None, phones: list[str]) -> list[Booking]:
    conditions: list[ColumnElement[bool]] = []
    if account_id:
        conditions.append(Booking.owner == account_id)
    if phones:
        conditions.append(Booking.visitor_phone.in_(phones))
    if not conditions:
        return []
    return list((await db.execute(select(Booking).where(or_(*conditions)).order_by(Booking.id))).scalars())


def _mentions(columns: Iterable[ColumnElement[str]], phones: list[str]) -> ColumnElement[bool]:
    return or_(false(), *(column.contains(phone, autoescape=True) for column in columns for phone in phones))


async def _records(db: AsyncSession, booking_ids: list[str], phones: list[str]) -> list[ReceptionRecord]:
    """The records of the person's bookings, and any other record that writes down one of their numbers."""
    found: dict[str, ReceptionRecord] = {}
    for chunk in _chunks(booking_ids):
        query = select(ReceptionRecord).where(ReceptionRecord.booking_id.in_(chunk))
        found |= {record.id: record for record in (await db.execute(query)).scalars()}
    if phones:
        texts = [getattr(ReceptionRecord, name) for name in RECORD_TEXTS]
        query = select(ReceptionRecord).where(_mentions(texts, phones))
        found |= {record.id: record for record in (await db.execute(query)).scalars()}
    return sorted(found.values(), key=lambda record: record.id)


def _scrub_record(record: ReceptionRecord, names: Iterable[str], phones: list[str]) -> bool:
    """Scrub the record's texts; whether anything changed."""
    changed = False
    for name in RECORD_TEXTS:
        before = getattr(record, name)
        after = scrub(before, names, phones)
        if after != before:
            setattr(record, name, after)
            changed = True
    return changed


async def _mask_topics(db: AsyncSession, phones: list[str]) -> int:
    """Another visitor's topic that gives one of the person's numbers keeps its words, not the number."""
    if not phones:
        return 0
    rows = (await db.execute(select(Booking).where(_mentions([Booking.topic], phones)))).scalars().all()
    for booking in rows:
        booking.topic = scrub(booking.topic, (), phones)
    return len(rows)


async def _rewrite_issue_events(db: AsyncSession, records: list[ReceptionRecord]) -> None:
    """The outbox's copy of a scrubbed record's issue event carries the scrubbed summary too (sent or not)."""
    outbox = tables.outbox
    for record in records:
        query = select(outbox.c.seq, outbox.c.body).where(
            outbox.c.event_type == StationIssueRaised.event_type, outbox.c.body.contains(record.id, autoescape=True)
        )
        for seq, body in (await db.execute(query)).all():
            event = json.loads(body)
            if event.get("data", {}).get("record_id") != record.id or event["data"].get("summary") == record.summary:
                continue
            event["data"]["summary"] = record.summary
            text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            await db.execute(update(outbox).where(outbox.c.seq == seq).values(body=text))


OWNED_EVENTS = (BookingMade.event_type, BookingPromoted.event_type, SessionCancelled.event_type)


async def _forget_owner_in_events(db: AsyncSession, account_id: str) -> None:
    """The outbox's copies of the booking events name the account that booked (for its notices): the erased
    account leaves them too (sent or not: one not yet sent then tells nobody)."""
    outbox = tables.outbox
    query = select(outbox.c.seq, outbox.c.body).where(
        outbox.c.event_type.in_(OWNED_EVENTS), outbox.c.body.contains(account_id, autoescape=True)
    )
    for seq, body in (await db.execute(query)).all():
        event = json.loads(body)
        data = event.get("data", {})
        if data.get("owner_id") == account_id:
            data["owner_id"] = None
        if account_id in data.get("owner_ids", []):
            data["owner_ids"] = [owner for owner in data["owner_ids"] if owner != account_id]
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        await db.execute(update(outbox).where(outbox.c.seq == seq).values(body=text))


async def _forget_answers(db: AsyncSession, account_id: str | None, ids: Sequence[str], phones: list[str]) -> int:
    """Delete the stored answers of the person's own requests (their scope starts with their account) and of any
    request whose answer names one of their bookings or records, or gives one of their numbers."""
    keys = tables.idempotency
    groups: list[list[ColumnElement[bool]]] = [
        [keys.c.response_body.contains(key, autoescape=True) for key in chunk] for chunk in _chunks(list(ids))
    ]
    if account_id:
        groups.append([keys.c.scope.startswith(f"{account_id}:", autoescape=True)])
    if phones:
        groups.append([_mentions([keys.c.response_body], phones)])
    deleted = 0
    for conditions in groups:
        deleted += (await db.execute(delete(keys).where(or_(*conditions)))).rowcount or 0
    return deleted


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
