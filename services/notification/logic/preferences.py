"""An account's choices: language, each kind of notice on or off per channel, and (officials only) their own
number for SMS."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.logic.subscriptions import OFFICIALS, remember_account
from services.notification.models import Account, Preference, PushSubscription
from services.notification.schemas import PreferencesUpdate
from shared.auth import Principal
from shared.errors import Forbidden


async def update(session: AsyncSession, runtime, principal: Principal, body: PreferencesUpdate) -> Account:  # type: ignore[no-untyped-def]
    if (body.phone or body.remove_phone) and not principal.has(*OFFICIALS):
        raise Forbidden("Only officials keep a number for SMS here; a villager's comes with the case.")
    now = runtime.clock.now()
    account = await remember_account(session, principal, now, body.language)
    if body.phone:
        account.phone = body.phone
    if body.remove_phone:
        account.phone = None
    for item in body.items:
        row = await session.get(Preference, (principal.subject, item.kind, item.channel))
        if row is None:
            session.add(
                Preference(
                    subject=principal.subject,
                    kind=item.kind,
                    channel=item.channel,
                    enabled=item.enabled,
                    updated_at=now,
                )
            )
        else:
            row.enabled, row.updated_at = item.enabled, now
    await session.flush()
    return account


async def devices_of(session: AsyncSession, subject: str) -> int:
    return int(await session.scalar(select(func.count()).where(PushSubscription.owner == subject)) or 0)
