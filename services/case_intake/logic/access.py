"""Who may read a case, and as what they act on it. Every way case intake makes someone a reader is one rule
below; nothing else makes anyone a reader.

| way | reads | contact | internal notes |
|---|---|---|---|
| staff: station staff and the NPC office | every case | yes | yes |
| filer: the account that filed it | its own case | yes | no |
| anonymous filer: the filer key (X-Filer-Key) | the case, answering the filer's actions; its photos | yes | no |
| tracking code | the tracking view (numbers masked, no point, no contact); its photos | no | no |
| handler: a deputy the case is routed, dispatched or escalated to (its assignees) | yes | yes | yes |
| supervisor: a deputy who answers for the case's grid or one above it (a township grid head) | yes | no | no |
| officer: an agency officer of an organisation the case was referred to | yes | no | no |

Granting nothing: saying "me too" (a supporter sees what the board and /cases/similar show: public cases, no
personal data), being merged into another case (the duplicate's filer and supporters become supporters), being
named as a mediator, filing on a field visit in another deputy's grid, or staff filing on a villager's behalf
and a station issue (the case has no owner: the filer key and the tracking code are the villager's). A case that
is private or a dispute cannot be supported by anyone who may not read it: they are told it does not exist.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Actor, Who
from services.case_intake.logic.cases import assignees, no_case
from services.case_intake.models import Case, CaseAssignee, CaseSupporter, KnownGrid, Referral, RoutingEntry
from shared import audit
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden

STAFF_ROLES = (Role.station_staff, Role.npc_office)
INTEGRATOR_PREFIX = "apikey:"
"""The subject of the token the gateway's Open311 route signs for an integrator's API key
(gateway.logic.integrator_principal): no role, `apikey:<key id>`."""


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
    deputy_id = principal.deputy_id if Actor.handler in actors else None
    return Who(principal.subject, frozenset(actors), deputy_id, principal=principal)


async def sees_contact_of(session: AsyncSession, cases: list[Case], principal: Principal) -> set[str]:
    """The ids of those of `cases` whose contact the caller sees (masked) as `who(...).sees_contact` says: staff,
    the filer, a deputy the case is routed to. One query for the lot (an export's batch), not one per case."""
    if principal.has(*STAFF_ROLES):
        return {case.id for case in cases}
    seen = {case.id for case in cases if case.submitted_by and case.submitted_by == principal.subject}
    if principal.deputy_id and principal.has(Role.deputy) and cases:
        routed = select(CaseAssignee.case_id).where(
            CaseAssignee.case_id.in_([case.id for case in cases]), CaseAssignee.deputy_id == principal.deputy_id
        )
        seen |= set((await session.execute(routed)).scalars())
    return seen


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


async def supervises(session: AsyncSession, case: Case, principal: Principal) -> bool:
    """A deputy who answers for the case's grid or a grid above it (a village's deputies, the township's head)."""
    return bool(
        principal.deputy_id
        and principal.has(Role.deputy)
        and case.grid_id in await deputy_grids(session, principal.deputy_id)
    )


async def may_read(session: AsyncSession, case: Case, principal: Principal | None) -> Who | None:
    """The caller's standing if they may read the case (see the table above), else None."""
    if principal is None:
        return None
    standing = await who(session, case, principal)
    if standing.actors or await supervises(session, case, principal):
        return standing
    return None


async def authorize_read(session: AsyncSession, case: Case, principal: Principal) -> Who:
    """Staff, the filer, the deputies it is routed to or whose grids hold it, officers it was referred to."""
    standing = await may_read(session, case, principal)
    if standing is None:
        raise Forbidden("Only the filer, the deputies handling it, the office and agencies it went to may see it.")
    return standing


def sees_internal(standing: Who) -> bool:
    """Internal notes are for the deputies the case is routed to and the office only."""
    return bool(standing.actors & {Actor.handler, Actor.staff})


def supportable(case: Case) -> bool:
    """Only what the board and /cases/similar show may be supported: a public case that is not a dispute."""
    return bool(case.public) and case.kind != "dispute"


async def authorize_support(session: AsyncSession, case: Case, principal: Principal | None) -> None:
    """A private case or a dispute: 404 (as if it did not exist) to whoever may not read it, 409 to its readers."""
    if supportable(case):
        return
    if await may_read(session, case, principal) is None:
        raise no_case(case.id)
    raise Conflict("A private case or a dispute is not supported; only public cases on the board are.")


async def supports(session: AsyncSession, case_id: str, subject: str) -> bool:
    query = select(CaseSupporter.id).where(CaseSupporter.case_id == case_id, CaseSupporter.supporter == subject)
    return (await session.execute(query)).first() is not None


def is_integrator(principal: Principal | None) -> bool:
    """The Open311 route's caller: a token the gateway signed for an integrator's API key."""
    return principal is not None and not principal.roles and principal.subject.startswith(INTEGRATOR_PREFIX)


async def contact_read(session: AsyncSession, case: Case, principal: Principal) -> None:
    """A deputy handling the case or the office reads the villager's full contact: written to the audit log
    (`case.contact.read`) before it is answered, and the read fails if it cannot be."""
    await audit.record_read(session, principal, "case.contact.read", "case", case.id)
