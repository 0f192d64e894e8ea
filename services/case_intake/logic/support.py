"""Duplicates: a villager says "me too" (支持) instead of filing again, and the office merges a duplicate into the
case about the same matter, its filer and supporters joining that case's supporters."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import OPEN, Actor, CaseStatus, Who, standing_for_note
from services.case_intake.domain.wording import with_note
from services.case_intake.logic.access import supports
from services.case_intake.logic.cases import close_referrals, get_case, now_of, supporter_count
from services.case_intake.logic.timeline import check, move, note
from services.case_intake.models import Case, CaseSupporter
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import MergeBody
from shared.auth import Principal
from shared.errors import Conflict, Unprocessable
from shared.messaging.catalogue import CaseSupported


async def support(
    session: AsyncSession, runtime: CaseRuntime, case: Case, principal: Principal | None, words: str
) -> int:
    """A villager says "me too" instead of filing again; returns the number of supporters."""
    if case.status not in OPEN:
        raise Conflict("Only an open case can be supported.", current_status=case.status)
    subject = principal.subject if principal else None
    if subject and subject == case.submitted_by:
        raise Conflict("You filed this case yourself.")
    if subject and await supports(session, case.id, subject):
        raise Conflict("You support this case already.")
    now = now_of(runtime)
    session.add(CaseSupporter(id=str(uuid.uuid4()), case_id=case.id, supporter=subject, filer=False, at=now))
    villager = Who(subject or "anonymous", frozenset({Actor.filer}))
    note(
        session, case, "support", villager, Actor.filer, with_note('Another villager said "me too"', words), now, words
    )
    await session.flush()
    count = await supporter_count(session, case.id)
    await runtime.emit(session, CaseSupported(case_id=case.id, grid_id=case.grid_id, supporters=count, at=now))
    return count


async def merge(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: MergeBody) -> None:
    """Merge a duplicate into the case `data` names: its filer and every supporter become that case's supporters."""
    target = await get_case(session, data.into_case_id, for_update=True)
    check(case, "merge", who)
    if target.id == case.id:
        raise Unprocessable("A case cannot be merged into itself.", field="into_case_id")
    if target.status not in OPEN | {CaseStatus.resolved}:
        raise Conflict(f"The case to merge into is {target.status}.", current_status=target.status, action="merge")
    now = now_of(runtime)
    joined = await _move_supporters(session, case, target, now)
    case.merged_into_id, case.due_kind = target.id, None
    await close_referrals(session, case)
    words = with_note(
        f"Merged into case {target.tracking_code} about the same matter; supporters moved there", data.note
    )
    await move(session, runtime, case, "merge", who, words, now, said=data.note, into_case_id=target.id)
    actor = standing_for_note(who, Actor.staff)
    note(
        session,
        target,
        "merge_in",
        who,
        actor,
        f"A case about the same matter joined this one; {joined} supporters came with it",
        now,
    )
    await session.flush()
    count = await supporter_count(session, target.id)
    await runtime.emit(session, CaseSupported(case_id=target.id, grid_id=target.grid_id, supporters=count, at=now))


async def _move_supporters(session: AsyncSession, case: Case, target: Case, now: datetime) -> int:
    """Re-home the duplicate's supporters and its filer on the target; one row per known villager."""
    rows = (await session.execute(select(CaseSupporter).where(CaseSupporter.case_id == case.id))).scalars().all()
    query = select(CaseSupporter.supporter).where(
        CaseSupporter.case_id == target.id, CaseSupporter.supporter.isnot(None)
    )
    known = set((await session.execute(query)).scalars()) | ({target.submitted_by} if target.submitted_by else set())
    joined = 0
    for row in rows:
        if row.supporter is not None and row.supporter in known:
            await session.delete(row)
            continue
        row.case_id = target.id
        if row.supporter is not None:
            known.add(row.supporter)
        joined += 1
    if case.submitted_by is None or case.submitted_by not in known:
        session.add(
            CaseSupporter(
                id=str(uuid.uuid4()),
                case_id=target.id,
                supporter=case.submitted_by,
                origin_case_id=case.id,
                filer=True,
                at=now,
            )
        )
        joined += 1
    await session.flush()
    return joined
