"""From a case event to delivery rows, in the event's inbox transaction: who is told (domain/notices.py), on
which devices and channels, in which language, and from when (quiet hours). Nothing is sent here.
`write_deliveries` is also how a scheduled notice (logic/scheduling.py) is given when its time comes."""

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.notification.domain.notices import (
    Audience,
    CaseFacts,
    Notice,
    channels,
    decide,
    escalation_level,
    screen_for,
)
from services.notification.domain.texts import language_of
from services.notification.domain.timing import not_before
from services.notification.logic.contacts import CONTACT_PREFIX, contact_of
from services.notification.models import (
    Account,
    CaseEscalation,
    Delivery,
    Follow,
    KnownGrid,
    Preference,
    PushSubscription,
)
from shared.messaging.catalogue import CaseEscalated, EventPayload

_WAKE_KEY = "notify_wake"


@event.listens_for(Session, "after_commit")
def _wake_the_sender(session: Session) -> None:
    wake = session.info.pop(_WAKE_KEY, None)
    if wake is not None:
        wake.set()


@event.listens_for(Session, "after_rollback")
def _forget_the_wake(session: Session) -> None:
    session.info.pop(_WAKE_KEY, None)


@dataclass(frozen=True)
class About:
    """What a notice is about, as its delivery rows keep it."""

    case_id: str
    tracking_code: str | None
    grid_id: str | None
    session_id: str | None = None
    when: datetime | None = None
    url: str | None = None  # the screen to open, when not the kind's usual one (a project's public page)


def event_key(payload: EventPayload) -> str:
    """The event's identity for the delivery key: its type and a digest of its payload. A redelivery, or the
    same event staged again under another id, gives the same key."""
    body = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{payload.event_type}\n{body}".encode()).hexdigest()[:64]


def facts_of(payload: EventPayload) -> CaseFacts:
    data = payload.model_dump()
    deputies = data.get("assigned_deputy_ids") or data.get("deputy_ids") or []
    return CaseFacts(
        event_type=payload.event_type,
        case_id=data["case_id"],
        tracking_code=data.get("tracking_code"),
        grid_id=data["grid_id"],
        deputy_ids=tuple(deputies),
        urgent=bool(data.get("urgent", False)),
        stage=data.get("stage"),
        organisation=data.get("organisation"),
        due_at=data.get("due_at"),
        from_status=data.get("from_status"),
    )


async def _turned_off(session: AsyncSession, subjects: set[str]) -> set[tuple[str, str, str]]:
    if not subjects:
        return set()
    query = select(Preference.subject, Preference.kind, Preference.channel).where(
        Preference.subject.in_(subjects), Preference.enabled.is_(False)
    )
    return {tuple(row) for row in (await session.execute(query)).all()}  # type: ignore[misc]


GRID_NAME = select(KnownGrid.__table__.c.name).where(KnownGrid.__table__.c.id == bindparam("grid_id"))


async def _grid_name(session: AsyncSession, grid_id: str | None) -> str:
    if not grid_id:
        return ""
    return (await session.scalar(GRID_NAME, {"grid_id": grid_id})) or ""


async def _targets(session: AsyncSession, notice: Notice, about: About) -> list[dict]:
    """(recipient, channel, target, language) of one notice, each device once."""
    rows: list[dict] = []
    seen: set[str] = set()
    if notice.audience == Audience.deputies:
        accounts = (await session.scalars(select(Account).where(Account.deputy_id.in_(notice.deputy_ids)))).all()
    elif notice.audience == Audience.office:
        accounts = (await session.scalars(select(Account).where(Account.office.is_(True)))).all()
    elif notice.audience == Audience.organisation:
        query = select(Account).where(Account.organisation == notice.organisation)
        accounts = (await session.scalars(query)).all() if notice.organisation else []
    elif notice.audience == Audience.accounts:
        # a villager's account this service has not heard from yet still finds the notice in its list
        known = {
            account.subject: account
            for account in (await session.scalars(select(Account).where(Account.subject.in_(notice.subjects)))).all()
        }
        accounts = [known.get(subject) or Account(subject=subject, language="zh-CN") for subject in notice.subjects]
    else:
        follows = (
            await session.scalars(select(Follow.follower).where(Follow.tracking_code == about.tracking_code))
        ).all()
        subjects = [follower.removeprefix("account:") for follower in follows if follower.startswith("account:")]
        accounts = (
            (await session.scalars(select(Account).where(Account.subject.in_(subjects)))).all() if subjects else []
        )
        contact = await contact_of(session, about.case_id)
        if contact is not None:  # the villager asked for SMS about this case (logic/contacts.py)
            rows.append(
                {
                    "recipient": CONTACT_PREFIX + about.case_id,
                    "channel": "sms",
                    "target": contact.phone,
                    "language": contact.language,
                }
            )
        devices = [follower.removeprefix("device:") for follower in follows if follower.startswith("device:")]
        if devices:
            query = select(PushSubscription).where(PushSubscription.id.in_(devices)).order_by(PushSubscription.id)
            for device in (await session.scalars(query)).all():
                seen.add(device.id)
                rows.append(
                    {
                        "recipient": f"device:{device.id}",
                        "channel": "push",
                        "target": device.id,
                        "language": device.language,
                    }
                )
    off = await _turned_off(session, {account.subject for account in accounts})
    wanted = channels(notice.kind, notice.urgent)
    for account in sorted(accounts, key=lambda account: account.subject):
        recipient = f"account:{account.subject}"
        if "push" in wanted and (account.subject, notice.kind.value, "push") not in off:
            query = (
                select(PushSubscription.id)
                .where(PushSubscription.owner == account.subject)
                .order_by(PushSubscription.id)
            )
            for device_id in (await session.scalars(query)).all():
                if device_id not in seen:
                    seen.add(device_id)
                    rows.append(
                        {"recipient": recipient, "channel": "push", "target": device_id, "language": account.language}
                    )
        if "sms" in wanted and account.phone and (account.subject, notice.kind.value, "sms") not in off:
            # the number it is for: the in-doubt check asks the provider about that number (logic/sending.py)
            rows.append(
                {"recipient": recipient, "channel": "sms", "target": account.phone, "language": account.language}
            )
        if "app" in wanted:
            rows.append({"recipient": recipient, "channel": "app", "target": "", "language": account.language})
    return rows


async def decide_case_event(session: AsyncSession, runtime, payload: EventPayload) -> int:  # type: ignore[no-untyped-def]
    """Write the deliveries a case event gives rise to (once per event, recipient, channel and device)."""
    facts, key = facts_of(payload), event_key(payload)
    if facts.event_type == CaseEscalated.event_type:
        facts = replace(facts, escalation_level=await _escalated(session, facts, key))
    about = About(facts.case_id, facts.tracking_code, facts.grid_id)
    return await write_deliveries(session, runtime, key, decide(facts), about)


async def _escalated(session: AsyncSession, facts: CaseFacts, key: str) -> int:
    """Count a case's escalation (domain/notices.py `escalation_level`); the same event again counts once."""
    row = await session.get(CaseEscalation, facts.case_id, with_for_update=True)
    if row is not None and row.last_key == key:
        return row.level
    level = escalation_level(row.level if row is not None else 0, facts.from_status)
    if row is None:
        session.add(CaseEscalation(case_id=facts.case_id, level=level, last_key=key))
    else:
        row.level, row.last_key = level, key
    await session.flush()
    return level


async def write_deliveries(session: AsyncSession, runtime, key: str, notices: list[Notice], about: About) -> int:  # type: ignore[no-untyped-def]
    """The delivery rows of these notices under `key` (an event's, or a scheduled notice's): once per key,
    recipient, channel and device, whatever repeats. An `app` row (the notifications list) is shown as it is
    written: nothing is sent for it."""
    if not notices:
        return 0
    now: datetime = runtime.clock.now()
    targets = [(notice, target) for notice in notices for target in await _targets(session, notice, about)]
    if not targets:
        return 0  # nobody to tell (no deputy has an account here yet): no grid name to look up either
    grid_name = await _grid_name(session, about.grid_id)
    rows = []
    for notice, target in targets:
        shown = target["channel"] == "app"
        rows.append(
            {
                **target,
                "id": str(uuid.uuid4()),
                "event_id": key,
                "kind": notice.kind.value,
                "case_id": about.case_id,
                "tracking_code": about.tracking_code or "",
                "grid_name": grid_name[:120],
                "language": language_of(target["language"]),
                "urgent": notice.urgent,
                "url": about.url or screen_for(notice.kind, about.case_id, about.tracking_code),
                "status": "sent" if shown else "pending",
                "attempts": 0,
                "resent_in_doubt": 0,
                "not_before": now if shown else not_before(now, urgent=notice.urgent),
                "created_at": now,
                "finished_at": now if shown else None,
                "session_id": about.session_id,
                "when_at": notice.when or about.when,
            }
        )
    if not rows:
        return 0
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Delivery)
    await session.execute(insert.on_conflict_do_nothing(), rows)
    session.sync_session.info[_WAKE_KEY] = runtime.wake  # the sender looks once the inbox transaction commits
    return len(rows)
