"""Read models: a person's notifications list, an account's preferences, everything kept under an account
(its data download), the office's delivery log and figures per channel and day."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.domain.notices import CHOSEN_KINDS, VILLAGER_KINDS, Kind
from services.notification.domain.texts import words
from services.notification.logic.preferences import devices_of
from services.notification.models import Account, Delivery, Follow, Preference, PushSubscription
from services.notification.schemas import (
    DeliveryRead,
    FigureRow,
    Figures,
    MyData,
    MyDevice,
    MyFollow,
    MyMessage,
    MyPreference,
    MySettings,
    NotificationRead,
    PreferenceItem,
    PreferencesRead,
)
from shared.clock import CHINA
from shared.pagination import Page, PageParams
from shared.privacy import mask_phone


def _notification(row: Delivery) -> NotificationRead:
    title, body = words(Kind(row.kind), row.language, row.tracking_code, row.grid_name, row.when_at, row.folded)
    return NotificationRead(
        id=row.event_id,
        kind=row.kind,
        tracking_code=row.tracking_code,
        title=title,
        body=body,
        url=row.url,
        created_at=row.created_at,
    )


async def _one_per_event(session: AsyncSession, condition, page: PageParams) -> Page[NotificationRead]:  # type: ignore[no-untyped-def]
    """Newest first, each event once (a message went to several devices or channels)."""
    first = (
        select(func.min(Delivery.id).label("id")).where(condition).group_by(Delivery.event_id, Delivery.kind).subquery()
    )
    total = int(await session.scalar(select(func.count()).select_from(first)) or 0)
    query = (
        select(Delivery)
        .join(first, first.c.id == Delivery.id)
        .order_by(Delivery.created_at.desc(), Delivery.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    rows = (await session.scalars(query)).all()
    return Page(items=[_notification(row) for row in rows], total=total, limit=page.limit, offset=page.offset)


async def notifications_of_account(session: AsyncSession, subject: str, page: PageParams) -> Page[NotificationRead]:
    """Everything the account was told, what was folded over the hourly cap included (the list is where a
    summary's "open the app" leads, so the summaries themselves are not listed)."""
    mine = (Delivery.recipient == f"account:{subject}") & (Delivery.kind != Kind.summary.value)
    return await _one_per_event(session, mine, page)


async def notifications_of_cases(session: AsyncSession, codes: list[str], page: PageParams) -> Page[NotificationRead]:
    """What the followers of these cases were told (the tracking code is what the tracking page asks for)."""
    condition = Delivery.tracking_code.in_(codes) & Delivery.kind.in_([kind.value for kind in VILLAGER_KINDS])
    return await _one_per_event(session, condition, page)


async def preferences(session: AsyncSession, subject: str) -> PreferencesRead:
    account = await session.get(Account, subject)
    rows = (await session.scalars(select(Preference).where(Preference.subject == subject))).all()
    items = {(row.kind, row.channel): row.enabled for row in rows}
    return PreferencesRead(
        language=account.language if account else "zh-CN",
        phone=mask_phone(account.phone) if account else None,
        devices=await devices_of(session, subject),
        items=[
            PreferenceItem(kind=kind.value, channel=channel, enabled=items.get((kind.value, channel), True))  # type: ignore[arg-type]
            for kind in CHOSEN_KINDS
            for channel in ("push", "sms")
        ],
    )


async def delivery_log(
    session: AsyncSession, page: PageParams, status: str | None, channel: str | None
) -> Page[DeliveryRead]:
    query = select(Delivery)
    if status:
        query = query.where(Delivery.status == status)
    if channel:
        query = query.where(Delivery.channel == channel)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = (
        await session.scalars(
            query.order_by(Delivery.created_at.desc(), Delivery.id).limit(page.limit).offset(page.offset)
        )
    ).all()
    items = [
        DeliveryRead(
            id=row.id,
            kind=row.kind,
            channel=row.channel,
            recipient=row.recipient,
            status=row.status,
            attempts=row.attempts,
            tracking_code=row.tracking_code,
            created_at=row.created_at,
            finished_at=row.finished_at,
            reason=row.reason,
        )
        for row in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


async def figures(session: AsyncSession, now: datetime, days: int) -> Figures:
    """Messages per Beijing day (of their making) and channel: sent, failed, waiting, and the rest (gone,
    skipped). Summed per Beijing day in Python (rows come grouped by the moment they were made, one per event), so the
    day is the same on any database."""
    since = now - timedelta(days=days)
    counted = {
        name: func.sum(case((Delivery.status.in_(statuses), 1), else_=0))
        for name, statuses in (("sent", ["sent"]), ("failed", ["failed"]), ("pending", ["pending", "sending"]))
    }
    query = (
        select(
            Delivery.created_at, Delivery.channel, func.count().label("all"), *[v.label(k) for k, v in counted.items()]
        )
        .where(Delivery.created_at >= since)
        .group_by(Delivery.created_at, Delivery.channel)
    )
    table: dict[tuple[str, str], list[int]] = {}
    for row in (await session.execute(query)).all():
        day = row.created_at.astimezone(CHINA).date().isoformat()
        sums = table.setdefault((day, row.channel), [0, 0, 0, 0])
        sums[0] += row.sent
        sums[1] += row.failed
        sums[2] += row.pending
        sums[3] += row.all - row.sent - row.failed - row.pending
    rows = [
        FigureRow(day=day, channel=channel, sent=s, failed=f, pending=p, other=o)
        for (day, channel), (s, f, p, o) in sorted(table.items())
    ]
    return Figures(days=rows)


def _host(endpoint: str) -> str:
    return urlsplit(endpoint).hostname or ""


async def my_data(session: AsyncSession, subject: str) -> MyData:
    """What is kept under the account: its settings, its devices (the push service and dates, never the
    endpoint's path or the keys), what it and its devices follow, its choices, and every message decided for
    it or its devices, newest first. Nothing of anybody else: rows are found by the account and its own
    devices only."""
    account = await session.get(Account, subject)
    query = select(PushSubscription).where(PushSubscription.owner == subject).order_by(PushSubscription.created_at)
    devices = (await session.scalars(query)).all()
    hosts = {device.id: _host(device.endpoint) for device in devices}
    followers = [f"account:{subject}", *(f"device:{device.id}" for device in devices)]
    follows = (
        await session.scalars(select(Follow).where(Follow.follower.in_(followers)).order_by(Follow.created_at))
    ).all()
    first_follows: dict[str, datetime] = {}
    for row in follows:  # followed by the account and by one of its devices: once, from the first
        first_follows.setdefault(row.tracking_code, row.created_at)
    choices = (
        await session.scalars(
            select(Preference).where(Preference.subject == subject).order_by(Preference.kind, Preference.channel)
        )
    ).all()
    query = (
        select(Delivery)
        .where(or_(Delivery.recipient.in_(followers), (Delivery.channel == "push") & Delivery.target.in_(list(hosts))))
        .order_by(Delivery.created_at.desc(), Delivery.id)
    )
    messages = []
    for row in (await session.scalars(query)).all():
        title, body = words(Kind(row.kind), row.language, row.tracking_code, row.grid_name)
        to = hosts.get(row.target) if row.channel == "push" else row.target
        to = None if not to or to.startswith("anonymous:") else to  # an old message's number is gone (retention)
        messages.append(
            MyMessage(
                kind=row.kind,
                channel=row.channel,
                to=to,
                tracking_code=row.tracking_code,
                title=title,
                body=body,
                status=row.status,
                created_at=row.created_at,
                finished_at=row.finished_at,
            )
        )
    return MyData(
        settings=MySettings(language=account.language, phone=account.phone) if account is not None else None,
        devices=[
            MyDevice(
                push_service=hosts[device.id],
                language=device.language,
                created_at=device.created_at,
                expires_at=device.expires_at,
                last_sent_at=device.last_sent_at,
            )
            for device in devices
        ],
        follows=[MyFollow(tracking_code=code, created_at=at) for code, at in first_follows.items()],
        preferences=[
            MyPreference(kind=row.kind, channel=row.channel, enabled=row.enabled, updated_at=row.updated_at)
            for row in choices
        ],
        messages=messages,
    )
