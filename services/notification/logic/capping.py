"""The hourly cap (domain/capping.py) where the sender claims what is due: messages over a person's cap become
`folded`, each counted into that person's summary for the hour (one per channel and device, written the first
time something folds, sent when the next hour begins), all in the claim's transaction. A folded message is never
sent, and a summary is an ordinary delivery with a key of its own, so each is still sent once. On several
replicas a burst claimed at the same moment may pass the cap by what each replica let through."""

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.domain.capping import CAPPED_CHANNELS, Candidate, hour_of, next_hour, over_cap, summary_key
from services.notification.domain.notices import Kind, screen_for
from services.notification.domain.timing import not_before
from services.notification.models import Delivery


async def _sent_this_hour(session: AsyncSession, recipients: set[str], hour: datetime) -> dict[tuple[str, str], set]:
    query = (
        select(Delivery.recipient, Delivery.channel, Delivery.event_id)
        .where(
            Delivery.recipient.in_(recipients),
            Delivery.channel.in_(CAPPED_CHANNELS),
            or_(and_(Delivery.status == "sent", Delivery.finished_at >= hour), Delivery.status == "sending"),
        )
        .distinct()
    )
    sent: dict[tuple[str, str], set] = {}
    for recipient, channel, event_id in (await session.execute(query)).all():
        sent.setdefault((recipient, channel), set()).add(event_id)
    return sent


async def _into_summary(session: AsyncSession, delivery: Delivery, now: datetime) -> bool:
    """Count one message into its person's summary for this hour; False if that summary is no longer waiting."""
    key = summary_key(delivery.recipient, delivery.channel, delivery.target, hour_of(now))
    summary = {
        "id": str(uuid.uuid4()),
        "event_id": key,
        "recipient": delivery.recipient,
        "channel": delivery.channel,
        "target": delivery.target,
        "kind": Kind.summary.value,
        "case_id": "",
        "tracking_code": "",
        "grid_name": "",
        "language": delivery.language,
        "urgent": False,
        "url": screen_for(Kind.summary, "", None),
        "status": "pending",
        "attempts": 0,
        "resent_in_doubt": 0,
        "not_before": not_before(next_hour(now), urgent=False),
        "created_at": now,
        "folded": 0,
    }
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Delivery)
    await session.execute(insert.values(**summary).on_conflict_do_nothing())
    waiting = and_(
        Delivery.event_id == key,
        Delivery.recipient == delivery.recipient,
        Delivery.channel == delivery.channel,
        Delivery.target == delivery.target,
        Delivery.status == "pending",
    )
    counted = await session.execute(update(Delivery).where(waiting).values(folded=Delivery.folded + 1))
    return counted.rowcount == 1  # type: ignore[attr-defined]


async def fold_over_cap(
    session: AsyncSession,
    runtime,  # type: ignore[no-untyped-def]
    deliveries: list[Delivery],
    in_doubt: set[str],
    turned_off: set[tuple[str, str, str]],
    now: datetime,
) -> set[str]:
    """Fold the due messages over their people's cap; returns the ids folded (not to be sent)."""
    candidates = [
        Candidate(
            id=delivery.id,
            recipient=delivery.recipient,
            channel=delivery.channel,
            event_id=delivery.event_id,
            foldable=delivery.attempts == 0
            and not delivery.urgent
            and delivery.kind != Kind.summary
            and delivery.id not in in_doubt,
            counts=(delivery.recipient.removeprefix("account:"), delivery.kind, delivery.channel) not in turned_off,
        )
        for delivery in deliveries
    ]
    if not any(candidate.foldable for candidate in candidates):
        return set()
    recipients = {candidate.recipient for candidate in candidates if candidate.foldable}
    sent = await _sent_this_hour(session, recipients, hour_of(now))
    chosen = over_cap(candidates, sent, runtime.policy.notify_hourly_cap)
    folded = set()
    for delivery in deliveries:
        if delivery.id in chosen and await _into_summary(session, delivery, now):
            cap = runtime.policy.notify_hourly_cap
            delivery.status, delivery.finished_at = "folded", now
            delivery.reason = f"over the cap of {cap} an hour: counted in the next hour's summary"
            folded.add(delivery.id)
    return folded
