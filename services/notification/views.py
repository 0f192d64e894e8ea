"""Read models: a person's notifications list, an account's preferences, the office's delivery log and
figures per channel and day."""

from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.domain.notices import CHOSEN_KINDS, VILLAGER_KINDS, Kind
from services.notification.domain.texts import words
from services.notification.logic.preferences import devices_of
from services.notification.models import Account, Delivery, Preference
from services.notification.schemas import (
    DeliveryRead,
    FigureRow,
    Figures,
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
