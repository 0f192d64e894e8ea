"""Villagers' one-time sign-in codes: 6 digits, 5 minutes, 5 tries; at most 1 a minute and 5 an hour
per phone number, and more per client address (villagers at a station share one: 10 a minute, 60 an hour).

The limits are counted from the codes table, so they hold across gateway replicas; on PostgreSQL an
advisory lock per number and per address serialises concurrent asks. Only an HMAC of the code is stored.
"""

import functools
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.edge.ratelimit import TooManyRequests
from gateway.models import OneTimeCode
from shared.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

DIGITS = 6


class CodeRejected(Unauthorized):
    slug, title = "code-rejected", "The code is not valid"


@dataclass(frozen=True)
class CodePolicy:
    valid_for: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    per_minute: int = 1
    per_hour: int = 5
    client_per_minute: int = 10
    client_per_hour: int = 60

    def for_client(self) -> "CodePolicy":
        """The limits of one client address (the same shape, its own numbers)."""
        return CodePolicy(self.valid_for, self.max_attempts, self.client_per_minute, self.client_per_hour)


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


@functools.lru_cache(maxsize=4)
def code_key(private_key_pem: bytes) -> bytes:
    """The HMAC key for stored codes, derived from the signing key (HKDF-SHA256) so that there is no second
    secret to keep."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"one-time-codes").derive(private_key_pem)


def hash_code(key: bytes, phone: str, code: str) -> str:
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def wait_seconds(times: list[datetime], now: datetime, policy: CodePolicy) -> int:
    """Seconds until one more code is allowed, given the creation times of the last hour (oldest first)."""
    minute_ago, hour_ago = now - timedelta(minutes=1), now - timedelta(hours=1)
    in_minute = [at for at in times if at > minute_ago]
    in_hour = [at for at in times if at > hour_ago]
    waits = [0]
    if len(in_minute) >= policy.per_minute:
        waits.append(_until(in_minute[-policy.per_minute] + timedelta(minutes=1), now))
    if len(in_hour) >= policy.per_hour:
        waits.append(_until(in_hour[-policy.per_hour] + timedelta(hours=1), now))
    return max(waits)


def _until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


async def _serialise(session: AsyncSession, *names: str) -> None:
    if session.bind.dialect.name != "postgresql":
        return  # SQLite takes the write lock at BEGIN (shared.db), which already serialises
    for name in sorted(names):
        lock = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


async def _recent(session: AsyncSession, column, value: str, now: datetime) -> list[datetime]:  # type: ignore[no-untyped-def]
    query = (
        select(OneTimeCode.created_at)
        .where(column == value, OneTimeCode.created_at > now - timedelta(hours=1))
        .order_by(OneTimeCode.created_at)
    )
    return list((await session.execute(query)).scalars())


async def issue(
    session: AsyncSession, *, phone: str, client: str, now: datetime, key: bytes, policy: CodePolicy
) -> tuple[str, OneTimeCode]:
    """Make a new code for the number (earlier live ones die), or raise 429 with the wait; commits."""
    await _serialise(session, "otp-phone:" + phone, "otp-client:" + client)
    wait = max(
        wait_seconds(await _recent(session, OneTimeCode.phone, phone, now), now, policy),
        wait_seconds(await _recent(session, OneTimeCode.client, client, now), now, policy.for_client()),
    )
    if wait:
        await session.rollback()
        raise TooManyRequests(
            "A code was sent recently; you can ask for another in {wait} s.", wait, params={"wait": wait}
        )
    await session.execute(
        update(OneTimeCode).where(OneTimeCode.phone == phone, OneTimeCode.spent_at.is_(None)).values(spent_at=now)
    )
    code = new_code()
    row = OneTimeCode(
        id=str(uuid.uuid4()),
        phone=phone,
        client=client,
        code_hash=hash_code(key, phone, code),
        created_at=now,
        expires_at=now + policy.valid_for,
        attempts=0,
    )
    session.add(row)
    await session.commit()
    return code, row


async def withdraw(session: AsyncSession, row: OneTimeCode, now: datetime) -> None:
    """The sender failed: the code can never be used (it still counts against the limits)."""
    await session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id).values(spent_at=now))
    await session.commit()
    raise ServiceUnavailable("The text message could not be sent; please try again in a minute.")


async def check(session: AsyncSession, *, phone: str, code: str, now: datetime, key: bytes, policy: CodePolicy) -> None:
    """Spend the number's live code if `code` matches it; count a miss otherwise. The caller commits."""
    query = (
        select(OneTimeCode)
        .where(OneTimeCode.phone == phone, OneTimeCode.spent_at.is_(None))
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None or row.expires_at <= now:
        raise CodeRejected("The code has expired or was not sent; please ask for a new one.", attempts_left=0)
    if not hmac.compare_digest(row.code_hash, hash_code(key, phone, code)):
        row.attempts += 1
        left = policy.max_attempts - row.attempts
        if left <= 0:
            row.spent_at = now
        await session.commit()
        if left > 0:
            raise CodeRejected("The code is wrong. {left} tries left.", params={"left": left}, attempts_left=left)
        raise CodeRejected("The code is wrong. Please ask for a new code.", attempts_left=0)
    row.spent_at = now
