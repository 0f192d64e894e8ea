"""Referrals as lists: an officer's inbox (their organisation's referrals), a deputy's (those of their cases),
the office's (all), or one case's."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic.access import STAFF_ROLES
from services.case_intake.models import CaseAssignee, Referral
from shared.auth import Principal, Role
from shared.errors import Forbidden
from shared.pagination import PageParams, paginate


async def list_referrals(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    case_id: str | None = None,
) -> tuple[list[Referral], int]:
    """An officer sees their organisation's referrals; a deputy those of their cases; the office all."""
    query = select(Referral).order_by(Referral.due_at, Referral.id)
    if not principal.has(*STAFF_ROLES):
        conditions = []
        if principal.organisation and principal.has(Role.agency_officer):
            conditions.append(Referral.organisation == principal.organisation)
        if principal.deputy_id and principal.has(Role.deputy):
            mine = select(CaseAssignee.case_id).where(CaseAssignee.deputy_id == principal.deputy_id)
            conditions.append(Referral.case_id.in_(mine))
        if not conditions:
            raise Forbidden("Referrals are seen by agency officers, deputies and the office.")
        query = query.where(conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1])
    if status is not None:
        query = query.where(Referral.status == status)
    if case_id is not None:
        query = query.where(Referral.case_id == case_id)
    return await paginate(session, query, params)
