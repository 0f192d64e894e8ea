"""Erasing a villager (PIPL): identity.person.erased.v1 names their account, a phone number, or both, and case
intake removes what it keeps under either, in the inbox's transaction (so once per event).

- Their cases: filed under the account (`submitted_by`), or whose contact phone is one of `phone_forms(phone)`
  (staff filing for a caller, an anonymous filing that left a number). Each loses its contact (phone, name,
  preference), its exact point (the grid stays), its photos and voice note, the filer's words (the description becomes
  ERASED_WORDS, the rating's comment and a withdrawal's reason go), its owner and its filer key. It
  keeps its kind, category, grid, status, dates, deadlines, rating and the deputies' record of their work
  (their words with the number and the contact name taken out): the figures still count it, and the deputies
  still see it.
- The account's steps on any timeline are the "erased" actor's, without their words; in their cases the steps
  where staff wrote down what the villager said lose those words too (domain.personal_data.holds_their_words).
- Their "me too"s (and the supporter row a merged duplicate of theirs left) stay as anonymous supports: the
  count every board, event and projection has shown stays true; the account link goes.
- Their uploads (attached anywhere or not) are deleted.
- Referrals and mediation sessions of their cases: the number and the contact name are taken out of every word
  (the question, the answer, the record, the parties, the agreement). A mediation party is typed by a deputy,
  name and role only, no phone: a party is found only by the contact name of the case being mediated. The
  other party of someone else's dispute, or a name typed differently, cannot be matched.
- Stored answers (idempotency_keys): a repeat of a request gets the stored answer, which carries a case as
  its reader saw it (the description, the point, the masked contact). Deleted: every answer to the account's
  own requests (scope `<account>:…`: filings, uploads, "me too", actions), to the anonymous filer's actions on
  their cases (scope `filer:<tracking code>:…`), every answer that names one of their cases (staff filing for
  them, the deputies' actions, referrals, mediation), and any that holds the number. A retry of one of those
  keys runs the request again (the actions' own checks refuse what is done already); the erased account can
  send no request any more.
- Events: v2 events and the audit log carry ids, codes and statuses only. The v1 filing events (while
  CASE_PUBLISH_V1_EVENTS is on) carry the start of the description in `summary`: their outbox rows get the
  placeholder instead.
- Finally the number, however typed, is starred in every text of every table (the audit log aside:
  append-only, ids only) — a deputy may have typed it into another case.

The erasure is recorded in the audit log as `person.erased` on the target `erasure` (its id): the event has no
request principal, so the entry names the office account that asked (`requested_by`, role npc_office, as only
the office erases: gateway POST /api/admin/erasures), and its detail holds counts only. That entry also makes a
second event of the same erasure change nothing.
"""

import json
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import JSON, String, Text, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import CaseStatus
from services.case_intake.domain.personal_data import ERASED_ACTOR, holds_their_words, last_digits, without_words
from services.case_intake.domain.wording import summary
from services.case_intake.logic import recordings
from services.case_intake.models import (
    Base,
    Case,
    CaseSupporter,
    CaseTransition,
    MediationSession,
    Photo,
    Referral,
    StationHandover,
    audit_log,
)
from services.case_intake.runtime import CaseRuntime
from shared import audit
from shared.auth import Principal, Role
from shared.messaging.catalogue import CaseAssigned, CaseSubmitted, PersonErased
from shared.privacy import ERASED_WORDS, phone_forms, phone_pattern, scrub, scrub_json

ACTION = "person.erased"
LEGACY_EVENTS = (CaseSubmitted.event_type, CaseAssigned.event_type)
"""The events whose `summary` carries the start of a case's description (v1, CASE_PUBLISH_V1_EVENTS)."""
UNTOUCHED_TABLES = frozenset({audit_log.name})
"""Append-only (its triggers refuse any change) and it holds ids, codes and statuses only."""


def office(account_id: str) -> Principal:
    """The office account that asked for the erasure, for the audit log: the event carries no token, and only
    the NPC office erases (gateway, POST /api/admin/erasures)."""
    return Principal(subject=account_id, roles=frozenset({Role.npc_office}))


async def erase_person(session: AsyncSession, runtime: CaseRuntime, payload: PersonErased) -> dict[str, int] | None:
    """Remove what is kept under the account or the number (see the module); returns the counts written to the
    audit log, or None when this erasure was applied already."""
    if await _recorded(session, payload.erasure_id):
        return None
    account, phone = payload.account_id, payload.phone
    phones: tuple[str, ...] = (phone,) if phone else ()
    cases = await _their_cases(session, account, phone)
    ids = {case.id for case in cases}
    names = frozenset(case.contact_name for case in cases if case.contact_name)
    counts: Counter[str] = Counter(cases=len(cases))
    counts["stored_answers"] = await _forget_answers(session, runtime, account, phone, cases)
    counts["events"] = await _placeholder_in_legacy_events(session, runtime, ids)
    counts["steps"] = await _their_steps(session, account, ids, phones, names)
    counts["handling"] = await _scrub_handling(session, ids, phones, names)
    counts["receptions"] = await _forget_receptions(session, ids)
    for case in cases:
        _forget_filer(case, phones, names)
    counts["photos"] = await forget_photos(session, ids, account)
    counts["recordings"] = await recordings.forget(session, sorted(ids), account)
    counts["supports"] = await _anonymous_supports(session, account)
    await session.flush()
    counts["texts"] = await scrub_everywhere(session, phone)
    detail = {"erasure_id": payload.erasure_id, "account_given": account is not None, "phone_given": phone is not None}
    await audit.record(session, office(payload.requested_by), ACTION, "erasure", payload.erasure_id, **detail, **counts)
    return dict(counts)


async def _recorded(session: AsyncSession, erasure_id: str) -> bool:
    query = select(audit_log.c.id).where(audit_log.c.action == ACTION, audit_log.c.target_id == erasure_id)
    return (await session.execute(query.limit(1))).first() is not None


async def _their_cases(session: AsyncSession, account: str | None, phone: str | None) -> Sequence[Case]:
    conditions = []
    if account:
        conditions.append(Case.submitted_by == account)
    if phone:
        conditions.append(Case.contact_phone.in_(phone_forms(phone)))
    if not conditions:
        return []
    query = select(Case).where(or_(*conditions)).order_by(Case.id).with_for_update()
    return (await session.execute(query)).scalars().all()


def forget_contact_and_point(case: Case) -> None:
    """The contact (phone, name, how to reach them) and the exact point; the grid stays."""
    case.contact_phone = case.contact_name = None
    case.contact_preference = "none"
    case.location_lat = case.location_lon = None


def _forget_filer(case: Case, phones: tuple[str, ...], names: frozenset[str]) -> None:
    forget_contact_and_point(case)
    case.description = ERASED_WORDS
    case.rating_comment = None
    case.submitted_by = case.filer_key_hash = None
    if case.status == CaseStatus.withdrawn:
        case.public_reason = None  # the withdrawal's reason: the villager's (or told by them to the office)
    elif case.public_reason:
        case.public_reason = scrub(case.public_reason, names, phones)
    if case.resolution:
        case.resolution = scrub(case.resolution, names, phones)


async def _forget_receptions(session: AsyncSession, ids: set[str]) -> int:
    """What was said at the reception their cases came from: their words, and the deputies' answers to them."""
    if not ids:
        return 0
    statement = (
        update(StationHandover)
        .where(StationHandover.case_id.in_(ids))
        .values(raised=ERASED_WORDS, discussed="", answer="")
    )
    return (await session.execute(statement)).rowcount or 0  # type: ignore[attr-defined]


async def forget_photos(session: AsyncSession, case_ids: set[str], uploader: str | None = None) -> int:
    """Delete the photos of these cases (rows and bytes), and every upload of `uploader`."""
    conditions = [Photo.case_id.in_(case_ids)] if case_ids else []
    if uploader:
        conditions.append(Photo.uploaded_by == uploader)
    if not conditions:
        return 0
    return (await session.execute(delete(Photo).where(or_(*conditions)))).rowcount or 0  # type: ignore[attr-defined]


async def _anonymous_supports(session: AsyncSession, account: str | None) -> int:
    if not account:
        return 0
    statement = update(CaseSupporter).where(CaseSupporter.supporter == account).values(supporter=None)
    return (await session.execute(statement)).rowcount or 0  # type: ignore[attr-defined]


async def _their_steps(
    session: AsyncSession, account: str | None, ids: set[str], phones: tuple[str, ...], names: frozenset[str]
) -> int:
    """The account's steps anywhere, and the steps of their cases: who and their words go, the rest is scrubbed."""
    conditions = [CaseTransition.case_id.in_(ids)] if ids else []
    if account:
        conditions.append(CaseTransition.actor == account)
    if not conditions:
        return 0
    steps = (await session.execute(select(CaseTransition).where(or_(*conditions)))).scalars().all()
    changed = 0
    for step in steps:
        theirs = account is not None and step.actor == account
        if theirs:
            step.actor, step.actor_name = ERASED_ACTOR, None
        if theirs or holds_their_words(step.action, step.actor_role, step.reason):
            reason, note = without_words(step.reason, step.note), None
        else:
            reason = scrub(step.reason, names, phones)
            note = scrub(step.note, names, phones) if step.note else step.note
        if theirs or (reason, note) != (step.reason, step.note):
            step.reason, step.note = reason, note
            changed += 1
    return changed


async def _scrub_handling(session: AsyncSession, ids: set[str], phones: tuple[str, ...], names: frozenset[str]) -> int:
    """The number and the contact name out of the referrals and mediation sessions of their cases."""
    if not ids:
        return 0
    changed = 0
    referrals = (await session.execute(select(Referral).where(Referral.case_id.in_(ids)))).scalars().all()
    for referral in referrals:
        changed += _scrub_attributes(referral, ("question", "answer", "decision_note"), phones, names)
    query = select(MediationSession).where(MediationSession.case_id.in_(ids))
    for mediation in (await session.execute(query)).scalars().all():
        fields = ("place", "record", "performance_note", "parties", "agreement")
        changed += _scrub_attributes(mediation, fields, phones, names)
    return changed


def _scrub_attributes(row: object, fields: tuple[str, ...], phones: tuple[str, ...], names: frozenset[str]) -> int:
    changed = 0
    for field in fields:
        value = getattr(row, field)
        cleaned = scrub_json(value, names, phones)
        if cleaned != value:
            setattr(row, field, cleaned)  # a new object: the JSON columns see the change
            changed = 1
    return changed


async def _forget_answers(
    session: AsyncSession, runtime: CaseRuntime, account: str | None, phone: str | None, cases: Sequence[Case]
) -> int:
    """Delete the stored answers that carry the person's data (see the module)."""
    table = runtime.tables.idempotency
    conditions = [table.c.scope.startswith(f"{account}:", autoescape=True)] if account else []
    for case in cases:
        conditions.append(table.c.scope.startswith(f"filer:{case.tracking_code}:", autoescape=True))
        conditions.append(table.c.response_body.contains(case.id, autoescape=True))
    for form in phone_forms(phone) if phone else []:
        conditions.append(table.c.response_body.contains(form, autoescape=True))
    if not conditions:
        return 0
    return (await session.execute(delete(table).where(or_(*conditions)))).rowcount or 0  # type: ignore[attr-defined]


async def _placeholder_in_legacy_events(session: AsyncSession, runtime: CaseRuntime, ids: set[str]) -> int:
    """The v1 filing events of their cases carry ERASED_WORDS's summary instead of the filer's words."""
    if not ids:
        return 0
    table = runtime.tables.outbox
    query = select(table.c.seq, table.c.body).where(
        table.c.event_type.in_(LEGACY_EVENTS), or_(*(table.c.body.contains(case_id) for case_id in ids))
    )
    changed = 0
    for row in (await session.execute(query)).all():
        body = json.loads(row.body)
        if body.get("data", {}).get("case_id") not in ids:
            continue
        body["data"]["summary"] = summary(ERASED_WORDS)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        await session.execute(update(table).where(table.c.seq == row.seq).values(body=text))
        changed += 1
    return changed


async def scrub_everywhere(session: AsyncSession, phone: str | None) -> int:
    """Star the number, however it was typed, in every text and JSON column of every table but the audit log;
    returns how many rows changed. A full scan of each table (rows holding the number's last four digits are
    read and matched), which an erasure, a rare event, can afford."""
    if phone is None or phone_pattern(phone) is None:
        return 0
    phones, needle = (phone,), last_digits(phone)
    changed = 0
    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        columns = [
            column
            for column in table.columns
            if not column.primary_key and isinstance(column.type, String | JSON) and table.name not in UNTOUCHED_TABLES
        ]
        if not columns or not keys:
            continue
        near = [
            (cast(column, Text) if isinstance(column.type, JSON) else column).contains(needle, autoescape=True)
            for column in columns
        ]
        rows = (await session.execute(select(*keys, *columns).where(or_(*near)))).mappings().all()
        for row in rows:
            values = {
                column.name: cleaned
                for column in columns
                if (cleaned := scrub_json(row[column.name], (), phones)) != row[column.name]
            }
            if values:
                await session.execute(update(table).where(*(key == row[key.name] for key in keys)).values(values))
                changed += 1
    return changed
