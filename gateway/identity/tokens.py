"""Access tokens (EdDSA JWTs, minutes) and rotating refresh tokens (opaque, days).

Every refresh spends its token and returns a new one of the same family. Presenting a spent token again
means it was copied: the whole family is revoked, so both the thief and the owner must sign in again.
Logout revokes the family. Only SHA-256 hashes of refresh tokens are stored.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import Account, RefreshToken
from shared.auth import Principal, issue_token
from shared.errors import Unauthorized


class RefreshRejected(Unauthorized):
    slug, title = "refresh-token-rejected", "The refresh token is not valid"


class RefreshReused(Unauthorized):
    slug, title = "refresh-token-reused", "The refresh token was already used"
    account_id: str = ""
    family_id: str = ""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


def hash_refresh(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_refresh() -> str:
    return "rt_" + secrets.token_urlsafe(32)


def access_token(
    principal: Principal, *, private_key: bytes, key_id: str, issuer: str, lifetime: timedelta, now: datetime
) -> str:
    return issue_token(private_key, principal, issuer=issuer, lifetime=lifetime, now=now, key_id=key_id)


async def start_family(
    session: AsyncSession, account_id: str, *, now: datetime, lifetime: timedelta, family_id: str | None = None
) -> str:
    """Add one refresh token (a new family unless given) and return it; the caller commits."""
    raw = new_refresh()
    session.add(
        RefreshToken(
            id=str(uuid.uuid4()),
            token_hash=hash_refresh(raw),
            family_id=family_id or str(uuid.uuid4()),
            account_id=account_id,
            issued_at=now,
            expires_at=now + lifetime,
        )
    )
    return raw


async def _find(session: AsyncSession, raw: str) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == hash_refresh(raw))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: str, now: datetime, reason: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def revoke_account(session: AsyncSession, account_id: str, now: datetime, reason: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def rotate(session: AsyncSession, raw: str, *, now: datetime, lifetime: timedelta) -> tuple[Account, str]:
    """Spend `raw` and return its account and the next token of the family; the caller commits.

    Raises RefreshReused (after committing the family's revocation) when `raw` was already spent.
    """
    row = await _find(session, raw)
    if row is None or row.revoked_at is not None:
        raise RefreshRejected("Please sign in again.")
    if row.used_at is not None:
        await revoke_family(session, row.family_id, now, "reuse")
        await session.commit()
        error = RefreshReused(
            "This refresh token was used before, so it may have been copied; every session it belonged to "
            "is now signed out. Please sign in again."
        )
        error.account_id, error.family_id = row.account_id, row.family_id
        raise error
    if row.expires_at <= now:
        raise RefreshRejected("The session has expired; please sign in again.")
    account = await session.get(Account, row.account_id)
    if account is None or not account.active:
        await revoke_family(session, row.family_id, now, "account-disabled")
        await session.commit()
        raise RefreshRejected("This account is disabled.")
    row.used_at = now
    return account, await start_family(session, account.id, now=now, lifetime=lifetime, family_id=row.family_id)


async def logout(session: AsyncSession, raw: str, now: datetime) -> str | None:
    """Revoke the family of `raw`; returns its account id (None for an unknown token). The caller commits."""
    row = await _find(session, raw)
    if row is None:
        return None
    await revoke_family(session, row.family_id, now, "logout")
    return row.account_id
