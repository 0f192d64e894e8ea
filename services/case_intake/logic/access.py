"""Who may see a case and as what they act on it: the filer, a deputy it is routed to (handler), the office and
station staff, an officer of an organisation it was referred to; supporters and the deputies of the grids above
it may read it."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Actor, Who
from services.case_intake.logic.cases import assignees
from services.case_intake.models import Case, CaseSupporter, KnownGrid, Referral, RoutingEntry
from shared.auth import Principal, Role
from shared.errors import Forbidden

STAFF_ROLES = (Role.station_staff, Role.npc_office)


async def who(session: AsyncSession, case: Case, principal: Principal) -> Who:
    """The caller's standing on this case: filer, handler (a deputy it is routed to), staff, officer."""
    actors: set[Actor] = set()
    if principal.has(*STAFF_ROLES):
        actors.add(Actor.staff)
    if case.submitted_by and case.submitted_by == principal.subject:
        actors.add(Actor.filer)
    if principal.deputy_id and principal.has(Role.deputy) and principal.deputy_id in await assignees(session, case.id):
        actors.add(Actor.handler)
    if principal.organisation and principal.has(Role.agency_officer):
        query = select(Referral.id).where(Referral.case_id == case.id, Referral.organisation == principal.organisation)
        if (await session.execute(query.limit(1))).first():
            actors.add(Actor.officer)
    return Who(principal.subject, frozenset(actors), principal.deputy_id if Actor.handler in actors else None)


async def deputy_grids(session: AsyncSession, deputy_id: str) -> set[str]:
    """The grids a deputy answers for, and every grid below them."""
    roots = select(RoutingEntry.grid_id).where(RoutingEntry.deputy_id == deputy_id, RoutingEntry.active)
    frontier = set((await session.execute(roots)).scalars())
    seen = set(frontier)
    while frontier:
        children = select(KnownGrid.id).where(KnownGrid.parent_id.in_(frontier))
        frontier = set((await session.execute(children)).scalars()) - seen
        seen |= frontier
    return seen


async def supports(session: AsyncSession, case_id: str, subject: str) -> bool:
    query = select(CaseSupporter.id).where(CaseSupporter.case_id == case_id, CaseSupporter.supporter == subject)
    return (await session.execute(query)).first() is not None


async def authorize_read(session: AsyncSession, case: Case, principal: Principal) -> Who:
    """Staff, the filer, supporters, the deputies it is routed to or whose grids hold it, officers it went to."""
    standing = await who(session, case, principal)
    if standing.actors or await supports(session, case.id, principal.subject):
        return standing
    if (
        principal.deputy_id
        and principal.has(Role.deputy)
        and case.grid_id in await deputy_grids(session, principal.deputy_id)
    ):
        return standing
    raise Forbidden(
        "Only the filer, supporters, the deputies handling it, the office and agencies it went to may see it."
    )


def sees_internal(principal: Principal | None) -> bool:
    """Internal notes are for the officials who may read the case: its deputies and the office."""
    return principal is not None and principal.has(*STAFF_ROLES, Role.deputy)
