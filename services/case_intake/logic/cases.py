"""Finding a case (by id, by tracking code, by the anonymous filer's key), the people on it, and its clocks."""

from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import ANONYMOUS_FILER, Who
from services.case_intake.domain.tracking import key_matches, normalise_code
from services.case_intake.domain.workdays import WorkCalendar
from services.case_intake.models import Case, CaseAssignee, CaseSupporter, Referral
from services.case_intake.runtime import CaseRuntime
from shared.errors import Forbidden, NotFound


def _locked(query: Select[tuple[Case]]) -> Select[tuple[Case]]:
    """Lock the row, and refresh a copy this session read before the lock (a route may look before it acts)."""
    return query.with_for_update().execution_options(populate_existing=True)


def no_case(case_id: str) -> NotFound:
    """The one answer for a case that does not exist (and for one a stranger is not to know about)."""
    return NotFound("No case {case_id}.", params={"case_id": case_id})


async def get_case(session: AsyncSession, case_id: str, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    case = (await session.execute(_locked(query) if for_update else query)).scalar_one_or_none()
    if case is None:
        raise no_case(case_id)
    return case


UNKNOWN_CODE = "No case has this tracking code."


async def get_case_by_tracking_code(session: AsyncSession, code: str, *, for_update: bool = False) -> Case:
    """The case of a code as typed (any case, O for 0, I or L for 1, spaces); one 404 for an unknown code and
    for anything that cannot be a code."""
    stored = normalise_code(code)
    if stored is None:
        raise NotFound(UNKNOWN_CODE)
    query = select(Case).where(Case.tracking_code == stored)
    case = (await session.execute(_locked(query) if for_update else query)).scalar_one_or_none()
    if case is None:
        raise NotFound(UNKNOWN_CODE)
    return case


def check_filer_key(case: Case, key: str | None) -> Who:
    """The anonymous filer's standing, if `key` is the one the filing answer gave them; else 403."""
    if not key_matches(case.filer_key_hash, key):
        raise Forbidden("Send the filer key (X-Filer-Key) given when the case was filed.")
    return ANONYMOUS_FILER


async def filer_by_key(session: AsyncSession, code: str, key: str | None) -> tuple[Case, Who]:
    """An anonymous filer acts with the tracking code and the key the filing answer gave them (case locked)."""
    case = await get_case_by_tracking_code(session, code, for_update=True)
    return case, check_filer_key(case, key)


async def assignees(session: AsyncSession, case_id: str) -> list[str]:
    query = select(CaseAssignee.deputy_id).where(CaseAssignee.case_id == case_id).order_by(CaseAssignee.deputy_id)
    return list((await session.execute(query)).scalars())


async def supporter_count(session: AsyncSession, case_id: str) -> int:
    query = select(func.count()).select_from(CaseSupporter).where(CaseSupporter.case_id == case_id)
    return (await session.execute(query)).scalar_one()


async def close_referrals(session: AsyncSession, case: Case, status: str = "cancelled") -> None:
    await session.execute(
        update(Referral)
        .where(Referral.case_id == case.id, Referral.status.in_(("open", "answered")))
        .values(status=status)
    )


def now_of(runtime: CaseRuntime) -> datetime:
    return runtime.clock.now()


async def calendar(session: AsyncSession, runtime: CaseRuntime) -> WorkCalendar:
    """The working-day calendar, from the runtime's reference cache (re-read after a short TTL)."""
    return await runtime.reference.calendar(session)


async def due_times(
    session: AsyncSession, runtime: CaseRuntime, kind: str, category: str, urgent: bool, now: datetime
) -> tuple[datetime, datetime]:
    """The accept and resolve deadlines of a case whose clocks start `now` (resolve days per category)."""
    rule = await runtime.reference.category(session, category)
    resolve_days = rule.resolve_working_days if rule else 5
    days = await calendar(session, runtime)
    return runtime.policy.due_times(days, now, kind=kind, resolve_working_days=resolve_days, urgent=urgent)


async def start_clocks(session: AsyncSession, runtime: CaseRuntime, case: Case, now: datetime) -> None:
    """Start the accept and resolve clocks of a case that has just reached its deputies."""
    case.assigned_at = now
    case.accept_due_at, case.resolve_due_at = await due_times(
        session, runtime, case.kind, case.category, case.urgent, now
    )
    case.due_kind = "accept"
