"""Demo sign-ins for development: the office, staff, finance, two agency officers (the lead organisations of
demo suggestions), and one per deputy (user name = code)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.demo import city as demo_city
from gateway.identity.accounts import hasher, new_account
from gateway.models import Account
from shared.auth import Role

DEMO_PASSWORD = "demo-pass-2026"
DEMO_OFFICIALS = [
    ("office", "人大常委会代表工委", [Role.npc_office]),
    ("staff", "联络站工作人员", [Role.station_staff]),
    ("finance", "市财政局", [Role.finance]),
]
DEMO_AGENCY_OFFICERS = [
    ("housing", "市住房和城乡建设局办理员", "housing-bureau"),
    ("water", "市水利局办理员", "water-bureau"),
]
"""Agency officers (user name, name, case intake's organisation code): they answer suggestions and referrals."""


async def seed(session: AsyncSession) -> int:
    """Demo sign-ins for development: the office, staff, finance, and one per deputy (user name = code)."""
    if (await session.execute(select(Account.id).where(Account.is_demo).limit(1))).first():
        return 0
    password_hash = hasher.hash(DEMO_PASSWORD)  # one hash for every demo account: argon2 is slow by design
    accounts = [
        new_account(username, password_hash, name, roles, is_demo=True) for username, name, roles in DEMO_OFFICIALS
    ]
    accounts += [
        new_account(username, password_hash, name, [Role.agency_officer], organisation=code, is_demo=True)
        for username, name, code in DEMO_AGENCY_OFFICERS
    ]
    accounts += [
        new_account(deputy.code, password_hash, deputy.name, [Role.deputy], deputy_id=deputy.id, is_demo=True)
        for deputy in demo_city.deputies()
    ]
    session.add_all(accounts)
    return len(accounts)
