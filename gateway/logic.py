"""Accounts and sign-in: passwords hashed with argon2, short-lived signed access tokens."""

import uuid
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import Account
from shared import demo_city
from shared.auth import Principal, Role, issue_token
from shared.problems import Unauthorized

hasher = PasswordHasher()
DEMO_PASSWORD = "demo-pass-2026"
DEMO_OFFICIALS = [
    ("office", "人大常委会代表工委", [Role.npc_office]),
    ("staff", "联络站工作人员", [Role.station_staff]),
    ("finance", "市财政局", [Role.finance]),
]


def principal_of(account: Account) -> Principal:
    return Principal(
        subject=account.id,
        roles=frozenset(Role(role) for role in account.roles.split(",")),
        name=account.name,
        deputy_id=account.deputy_id,
        organisation=account.organisation,
    )


async def authenticate(session: AsyncSession, username: str, password: str) -> Account:
    account = (await session.execute(select(Account).where(Account.username == username))).scalar_one_or_none()
    try:
        if account is None:
            raise VerifyMismatchError
        hasher.verify(account.password_hash, password)
    except (VerifyMismatchError, InvalidHashError) as error:
        raise Unauthorized("The user name or password is wrong.") from error
    return account


def token_for(account: Account, private_key: bytes, issuer: str, minutes: int) -> tuple[str, int]:
    lifetime = timedelta(minutes=minutes)
    return issue_token(private_key, principal_of(account), issuer=issuer, lifetime=lifetime), int(
        lifetime.total_seconds()
    )


def new_account(
    username: str,
    password_hash: str,
    name: str,
    roles: list[Role],
    *,
    deputy_id: str | None = None,
    is_demo: bool = False,
) -> Account:
    return Account(
        id=str(uuid.uuid4()),
        username=username,
        password_hash=password_hash,
        name=name,
        roles=",".join(roles),
        deputy_id=deputy_id,
        organisation=None,
        is_demo=is_demo,
        created_at=datetime.now(UTC),
    )


async def seed_demo_accounts(session: AsyncSession) -> int:
    """Demo sign-ins for development: the office, staff, finance, and one per deputy (user name = code)."""
    if (await session.execute(select(Account.id).limit(1))).first():
        return 0
    password_hash = hasher.hash(DEMO_PASSWORD)  # one hash for every demo account: argon2 is slow by design
    accounts = [
        new_account(username, password_hash, name, roles, is_demo=True) for username, name, roles in DEMO_OFFICIALS
    ]
    accounts += [
        new_account(deputy.code, password_hash, deputy.name, [Role.deputy], deputy_id=deputy.id, is_demo=True)
        for deputy in demo_city.deputies()
    ]
    session.add_all(accounts)
    return len(accounts)
