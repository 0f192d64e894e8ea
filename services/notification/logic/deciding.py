"""From a case event to delivery rows, in the event's inbox transaction: who is told (domain/notices.py), on
which devices and channels, in which language, and from when (quiet hours). Nothing is sent here."""

import hashlib
import json
import uuid
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.notification.domain.notices import DEPUTY_KINDS, Audience, CaseFacts, Kind, Notice, decide, screen_for
from services.notification.domain.texts import language_of
from services.notification.domain.timing import not_before
from services.notification.models import Account, Delivery, Follow, KnownGrid, Preference, PushSubscription
from shared.messaging.catalogue import EventPayload

_WAKE_KEY = "notify_wake"


@event.listens_for(Session, "after_commit")
def _wake_the_sender(session: Session) -> None:
    wake = session.info.pop(_WAKE_KEY, None)
    if wake is not None:
        wake.set()


@event.listens_for(Session, "after_rollback")
def _forget_the_wake(session: Session) -> None:
    session.info.pop(_WAKE_KEY, None)


SMS_FOR_DEPUTIES = frozenset({Kind.case_chased, Kind.case_escalated})
"""Deputies get an SMS (on a number they gave) for these at once, and for a case routed to them when it is urgent."""


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
    )


def sms_wanted(kind: Kind, urgent: bool) -> bool:
    return kind in SMS_FOR_DEPUTIES or (kind == Kind.case_routed and urgent)


async def _turned_off(session: AsyncSession, subjects: set[str]) -> set[tuple[str, str, str]]:
    if not subjects:
        return set()
    query = select(Preference.subject, Preference.kind, Preference.channel).where(
        Preference.subject.in_(subjects), Preference.enabled.is_(False)
    )
    return {tuple(row) for row in (await session.execute(query)).all()}  # type: ignore[misc]


async def _grid_name(session: AsyncSession, grid_id: str) -> str:
    return (await session.scalar(select(KnownGrid.name).where(KnownGrid.id == grid_id))) or ""


async def _targets(session: AsyncSession, notice: Notice, facts: CaseFacts) -> list[dict]:
    """(recipient, channel, target, language) of one notice, each device once."""
    rows: list[dict] = []
    seen: set[str] = set()
    if notice.audience == Audience.deputies:
        accounts = (await session.scalars(select(Account).where(Account.deputy_id.in_(notice.deputy_ids)))).all()
    else:
        follows = (
            await session.scalars(select(Follow.follower).where(Follow.tracking_code == facts.tracking_code))
        ).all()
        subjects = [follower.removeprefix("account:") for follower in follows if follower.startswith("account:")]
        accounts = (
            (await session.scalars(select(Account).where(Account.subject.in_(subjects)))).all() if subjects else []
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
    for account in sorted(accounts, key=lambda account: account.subject):
        recipient = f"account:{account.subject}"
        if (account.subject, notice.kind.value, "push") not in off:
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
        wants_sms = notice.kind in DEPUTY_KINDS and sms_wanted(notice.kind, notice.urgent)
        if account.phone and wants_sms and (account.subject, notice.kind.value, "sms") not in off:
            # the number it is for: the in-doubt check asks the provider about that number (logic/sending.py)
            rows.append(
                {"recipient": recipient, "channel": "sms", "target": account.phone, "language": account.language}
            )
    return rows


async def decide_case_event(session: AsyncSession, runtime, payload: EventPayload) -> int:  # type: ignore[no-untyped-def]
    """Write the deliveries a case event gives rise to (once per event, recipient, channel and device)."""
    facts = facts_of(payload)
    notices = decide(facts)
    if not notices:
        return 0
    now: datetime = runtime.clock.now()
    key = event_key(payload)
    grid_name = await _grid_name(session, facts.grid_id)
    rows = []
    for notice in notices:
        for target in await _targets(session, notice, facts):
            rows.append(
                {
                    **target,
                    "id": str(uuid.uuid4()),
                    "event_id": key,
                    "kind": notice.kind.value,
                    "case_id": facts.case_id,
                    "tracking_code": facts.tracking_code or "",
                    "grid_name": grid_name[:120],
                    "language": language_of(target["language"]),
                    "urgent": notice.urgent,
                    "url": screen_for(notice.kind, facts.case_id, facts.tracking_code),
                    "status": "pending",
                    "attempts": 0,
                    "resent_in_doubt": 0,
                    "not_before": not_before(now, urgent=notice.urgent),
                    "created_at": now,
                }
            )
    if not rows:
        return 0
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Delivery)
    await session.execute(insert.on_conflict_do_nothing(), rows)
    session.sync_session.info[_WAKE_KEY] = runtime.wake  # the sender looks once the inbox transaction commits
    return len(rows)
