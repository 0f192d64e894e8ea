"""Devices (browser push subscriptions) and what they follow.

A signed-in account registers its devices (several per account); the account's deputy id comes from its
token, so deputies are told of the cases routed to them on every device they registered. A device may also
follow cases by their tracking codes (a villager on the "sent" screen), signed in or not: the code is what
the tracking page asks for, and a notice says no more than that page. Only endpoints of the push services on
the allow-list are taken, so registering can never make this service fetch an arbitrary URL."""

import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.channels.webpush import b64url_decode
from services.notification.domain.endpoints import endpoint_problem
from services.notification.domain.texts import language_of
from services.notification.logic.sending import remove_device
from services.notification.models import Account, Follow, PushSubscription
from services.notification.schemas import SubscriptionCreate
from shared.auth import Principal, Role
from shared.errors import NotFound, Unprocessable
from shared.i18n import N_, translate

OFFICIALS = (Role.deputy, Role.station_staff, Role.npc_office, Role.agency_officer)


def _keys_problem(p256dh: str, auth: str) -> str | None:
    try:
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return N_("keys.p256dh must be a P-256 public key (65 bytes, base64url).")
    if len(point) != 65 or len(secret) != 16:
        return N_("keys.p256dh must be 65 bytes and keys.auth 16 bytes (base64url).")
    return None


def _check_keys(p256dh: str, auth: str) -> None:
    if problem := _keys_problem(p256dh, auth):
        field = {"loc": ["body", "subscription", "keys"], "msg": translate(problem), "type": "value_error"}
        raise Unprocessable(problem, errors=[field])


def standing(principal: Principal) -> dict[str, str | bool | None]:
    """What an account's token says about whom it is told of: the deputy it acts for, the organisation an agency
    officer works for, whether it is the NPC office's."""
    officer = principal.has(Role.agency_officer)
    return {
        "deputy_id": principal.deputy_id,
        "organisation": principal.organisation if officer else None,
        "office": principal.has(Role.npc_office),
    }


async def remember_account(session: AsyncSession, principal: Principal, now: datetime, language: str | None) -> Account:
    account = await session.get(Account, principal.subject)
    if account is None:
        account = Account(subject=principal.subject, language=language_of(language), updated_at=now)
        session.add(account)
    for name, value in standing(principal).items():
        setattr(account, name, value)
    if language:
        account.language = language_of(language)
    account.updated_at = now
    return account


async def learn_account(session: AsyncSession, principal: Principal, now: datetime) -> bool:
    """An official opening their list: keep their standing (an officer's organisation, the office's accounts, so
    that referrals and escalations reach them in the list even without a device); writes only when it changed.
    Villagers are not kept for this."""
    if not principal.has(*OFFICIALS):
        return False
    account = await session.get(Account, principal.subject)
    if account is not None and all(getattr(account, name) == value for name, value in standing(principal).items()):
        return False
    await remember_account(session, principal, now, None)
    return True


async def register(
    session: AsyncSession,
    runtime,
    body: SubscriptionCreate,
    principal: Principal | None,  # type: ignore[no-untyped-def]
) -> tuple[PushSubscription, list[str]]:
    subscription = body.subscription
    problem = endpoint_problem(subscription.endpoint, runtime.policy.allowed_hosts)
    if problem:
        field = {"loc": ["body", "subscription", "endpoint"], "msg": translate(problem), "type": "value_error"}
        raise Unprocessable(problem, errors=[field])
    _check_keys(subscription.keys.p256dh, subscription.keys.auth)
    now = runtime.clock.now()
    expires = datetime.fromtimestamp(subscription.expirationTime / 1000, UTC) if subscription.expirationTime else None
    if principal is not None:
        account = await remember_account(session, principal, now, body.language)
        language = account.language
    else:
        language = language_of(body.language)
    device = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == subscription.endpoint))
    if device is None:
        device = PushSubscription(id=str(uuid.uuid4()), endpoint=subscription.endpoint, created_at=now)
        session.add(device)
    device.p256dh, device.auth, device.expires_at = subscription.keys.p256dh, subscription.keys.auth, expires
    device.language = language
    if principal is not None:
        device.owner = principal.subject  # the browser's endpoint is its own secret: whoever holds it, owns it
    follower = f"account:{principal.subject}" if principal is not None else f"device:{device.id}"
    await session.flush()
    for code in body.follow:
        if await session.get(Follow, (code, follower)) is None:
            session.add(Follow(tracking_code=code, follower=follower, created_at=now))
    await session.flush()
    return device, await follows_of(session, device, principal)


async def follows_of(session: AsyncSession, device: PushSubscription, principal: Principal | None) -> list[str]:
    followers = [f"device:{device.id}"] + ([f"account:{principal.subject}"] if principal is not None else [])
    query = select(Follow.tracking_code).where(Follow.follower.in_(followers)).order_by(Follow.tracking_code)
    return list(dict.fromkeys((await session.scalars(query)).all()))


async def unregister(session: AsyncSession, endpoint: str) -> None:
    """Forget a device by its endpoint (the browser's own secret), with what it followed."""
    device = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if device is None:
        raise NotFound("No device is registered with this endpoint.")
    await remove_device(session, device.id)
    await session.commit()
