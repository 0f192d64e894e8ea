"""Sending what is due, so that each (event, recipient, channel, device) gets its message once.

1. Claim: in one transaction, due rows (`pending` with `not_before` passed) become `sending`, with a claim
   that runs out after NOTIFY_CLAIM_SECONDS and one more attempt counted; the claim is committed before any
   send begins.
2. Send, at most NOTIFY_CONCURRENCY at once; each outcome is committed on its own as soon as it is known.
3. A row still `sending` after its claim ran out was being sent when its process died: the send may or may
   not have happened. It is never simply repeated. A push message goes again with the same `Topic` (RFC 8030
   §5.4: the push service replaces one it still holds) and the same message id (the service worker shows an
   id once); an SMS is first looked up with the provider by its id (`OutId`), and sent only if the provider
   has no such message (when the provider cannot say, it is not sent again and the log says why).
Temporary failures wait (Retry-After, else the backoff) and end as `failed` after NOTIFY_MAX_ATTEMPTS, with
the provider's reason; a device the push service no longer knows (404, 410) is removed. A message over its
person's hourly cap is folded at the claim instead of sent (logic/capping.py).
"""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.channels import Outcome
from services.notification.domain.notices import Kind
from services.notification.domain.texts import sms_text, words
from services.notification.domain.timing import backoff
from services.notification.logic.capping import fold_over_cap
from services.notification.logic.contacts import CONTACT_PREFIX, number_still_given
from services.notification.models import Account, Delivery, Follow, Preference, PushSubscription
from shared.db import is_sqlite
from shared.privacy import phone_forms
from shared.sms import SmsMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    delivery: Delivery
    in_doubt: bool
    subscription: PushSubscription | None
    phone: str | None
    turned_off: bool


def push_payload(delivery: Delivery) -> bytes:
    """What the lock screen may show: the tracking code, the step and the grid's name (and words made of
    them only), with the message id and the screen to open."""
    title, body = words(
        Kind(delivery.kind),
        delivery.language,
        delivery.tracking_code,
        delivery.grid_name,
        delivery.when_at,
        delivery.folded,
    )
    return json.dumps(
        {
            "id": delivery.id,
            "step": delivery.kind,
            "tracking_code": delivery.tracking_code,
            "grid": delivery.grid_name,
            "url": delivery.url,
            "title": title,
            "body": body,
        },
        ensure_ascii=False,
    ).encode()


def sms_params(delivery: Delivery) -> dict[str, str]:
    """The template's variables: the tracking code and the grid's name, or a summary's count."""
    if delivery.kind == Kind.summary:
        return {"count": str(delivery.folded)}
    return {"code": delivery.tracking_code, "grid": delivery.grid_name[:20]}


def topic_of(delivery: Delivery) -> str:
    return delivery.id.replace("-", "")  # 32 characters of the URL-safe alphabet (RFC 8030 §5.4)


def number_for(delivery: Delivery, account: Account | None) -> str | None:
    """The number an SMS was decided for, while it is still the account's own: a number the official removed
    or replaced since (or erased) is not texted. A row decided before SMS rows named their number (empty
    target) goes to the account's number."""
    if account is None or not account.phone:
        return None
    if not delivery.target:
        return account.phone
    return delivery.target if account.phone in phone_forms(delivery.target) else None


async def _number(session: AsyncSession, delivery: Delivery, account: Account | None) -> str | None:
    if delivery.recipient.startswith(CONTACT_PREFIX):  # a villager's number for their case
        return await number_still_given(session, delivery)
    return number_for(delivery, account)


async def claim(session: AsyncSession, runtime, now: datetime) -> tuple[list[Claimed], int]:  # type: ignore[no-untyped-def]
    """What is due, claimed for sending, and how many due messages were folded over their people's cap."""
    policy = runtime.policy
    due = or_(
        and_(Delivery.status == "pending", Delivery.not_before <= now),
        and_(Delivery.status == "sending", Delivery.claimed_until < now),
    )
    query = select(Delivery).where(due).order_by(Delivery.not_before).limit(policy.notify_batch)
    if not is_sqlite(runtime.settings.database_url):
        query = query.with_for_update(skip_locked=True)
    deliveries = (await session.scalars(query)).all()
    if not deliveries:
        return [], 0
    claimed_until = now + timedelta(seconds=policy.notify_claim_seconds)
    in_doubt = {delivery.id for delivery in deliveries if delivery.status == "sending"}
    devices = {d.target for d in deliveries if d.channel == "push"}
    subscriptions = {
        s.id: s for s in (await session.scalars(select(PushSubscription).where(PushSubscription.id.in_(devices)))).all()
    }
    subjects = {d.recipient.removeprefix("account:") for d in deliveries if d.recipient.startswith("account:")}
    accounts = {
        a.subject: a for a in (await session.scalars(select(Account).where(Account.subject.in_(subjects)))).all()
    }
    off_query = select(Preference.subject, Preference.kind, Preference.channel).where(
        Preference.subject.in_(subjects), Preference.enabled.is_(False)
    )
    off = {tuple(row) for row in (await session.execute(off_query)).all()}
    folded = await fold_over_cap(session, runtime, list(deliveries), in_doubt, off, now)  # type: ignore[arg-type]
    result = []
    for delivery in deliveries:
        if delivery.id in folded:
            continue
        delivery.status = "sending"
        delivery.attempts += 1
        delivery.claimed_until = claimed_until
        if delivery.id in in_doubt:
            delivery.resent_in_doubt += 1
        subject = delivery.recipient.removeprefix("account:")
        account = accounts.get(subject)
        result.append(
            Claimed(
                delivery=delivery,
                in_doubt=delivery.id in in_doubt,
                subscription=subscriptions.get(delivery.target) if delivery.channel == "push" else None,
                phone=await _number(session, delivery, account) if delivery.channel == "sms" else None,
                turned_off=(subject, delivery.kind, delivery.channel) in off,
            )
        )
    return result, len(folded)


async def _send(runtime, item: Claimed) -> Outcome:  # type: ignore[no-untyped-def]
    delivery = item.delivery
    if item.turned_off:
        return Outcome("failed", "skipped: turned off by the recipient")
    if delivery.channel == "push":
        device = item.subscription
        if device is None:
            return Outcome("gone", "the device unsubscribed")
        return await runtime.webpush.send(
            device.endpoint,
            device.p256dh,
            device.auth,
            push_payload(delivery),
            topic=topic_of(delivery),
            urgent=delivery.urgent,
            ttl=runtime.policy.webpush_ttl_seconds,
        )
    if not item.phone:
        return Outcome("gone", "the number was removed or changed before the message went")
    kind = Kind(delivery.kind)
    message = SmsMessage(
        id=delivery.id,
        phone=item.phone,
        kind=delivery.kind,
        text=sms_text(
            kind,
            delivery.language,
            delivery.tracking_code,
            delivery.grid_name,
            runtime.policy.sms_signature,
            delivery.when_at,
            delivery.folded,
        ),
        params=sms_params(delivery),
        at=delivery.created_at,
    )
    if item.in_doubt:
        known = await runtime.sms.status(message)
        if known == "sent":
            return Outcome("sent")
        if known == "unknown":
            return Outcome("failed", "in doubt after a restart and the provider could not say whether it was sent")
    return await runtime.sms.send(message)


async def record(runtime, item: Claimed, outcome: Outcome) -> None:  # type: ignore[no-untyped-def]
    """Commit one outcome; a removed device takes its follows and its other waiting messages with it."""
    delivery = item.delivery
    now = runtime.clock.now()
    values: dict = {"claimed_until": None, "reason": outcome.reason}
    if outcome.status == "sent":
        values |= {"status": "sent", "finished_at": now, "reason": None}
    elif outcome.status == "gone":
        values |= {"status": "gone", "finished_at": now}
    elif outcome.status == "failed" or delivery.attempts >= runtime.policy.notify_max_attempts:
        skipped = (outcome.reason or "").startswith("skipped")
        values |= {"status": "skipped" if skipped else "failed", "finished_at": now}
    else:
        wait = timedelta(seconds=outcome.retry_after) if outcome.retry_after is not None else backoff(delivery.attempts)
        values |= {"status": "pending", "not_before": now + min(wait, timedelta(hours=6))}
    async with runtime.maker() as session, session.begin():
        # only if this process still holds the claim (a row in doubt may have been taken over by another)
        claimed = and_(Delivery.id == delivery.id, Delivery.status == "sending", Delivery.attempts == delivery.attempts)
        await session.execute(update(Delivery).where(claimed).values(**values))
        if outcome.status == "sent" and delivery.channel == "push":
            await session.execute(
                update(PushSubscription).where(PushSubscription.id == delivery.target).values(last_sent_at=now)
            )
        if outcome.status == "gone" and delivery.channel == "push":
            await remove_device(session, delivery.target)


async def remove_device(session: AsyncSession, device_id: str) -> None:
    await session.execute(delete(Follow).where(Follow.follower == f"device:{device_id}"))
    await session.execute(delete(PushSubscription).where(PushSubscription.id == device_id))


async def dispatch_once(runtime) -> int:  # type: ignore[no-untyped-def]
    """Claim what is due and send it; returns how many were claimed (or folded)."""
    async with runtime.maker() as session, session.begin():
        claimed, folded = await claim(session, runtime, runtime.clock.now())
    if not claimed:
        return folded
    limit = asyncio.Semaphore(runtime.policy.notify_concurrency)

    async def one(item: Claimed) -> None:
        async with limit:
            try:
                outcome = await _send(runtime, item)
            except Exception as error:  # a bug or an unexpected answer: retried, then failed, never lost
                log.exception("sending %s failed", item.delivery.id)
                outcome = Outcome("retry", f"error: {type(error).__name__}")
            await record(runtime, item, outcome)

    await asyncio.gather(*(one(item) for item in claimed))
    return len(claimed)


async def run_sender(runtime) -> None:  # type: ignore[no-untyped-def]
    """The lifespan task: send what is due, then wait for new deliveries or the next poll."""
    while True:
        runtime.wake.clear()  # a wake-up from a commit during this round brings the next round at once
        try:
            claimed = await dispatch_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("the sender paused: %s", error)
            claimed = 0
        if claimed:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runtime.wake.wait(), runtime.policy.notify_poll_seconds)
