"""Duplicates: a villager says "me too" (支持) instead of filing again, and the office merges a duplicate into the
case about the same matter, its filer and supporters joining that case's supporters. Supporting makes no one a
reader (logic.access).

Each account supports a case once, and so does each device key (X-Device-Key, kept as its hash); supports
without an account are at most CASE_ANONYMOUS_SUPPORTS_PER_HOUR a case an hour (429 with Retry-After past it):
case intake does not know the caller's address (the gateway limits per address)."""

import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import OPEN, Actor, CaseStatus, Who, standing_for_note
from services.case_intake.domain.tracking import hash_key
from services.case_intake.domain.wording import say, with_note
from services.case_intake.logic.access import authorize_support, supports
from services.case_intake.logic.cases import close_referrals, get_case, now_of, supporter_count
from services.case_intake.logic.timeline import check, move, note
from services.case_intake.models import Case, CaseSupporter
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import MergeBody
from shared import i18n
from shared.auth import Principal
from shared.errors import Conflict, ProblemError, Unprocessable
from shared.messaging.catalogue import CaseSupported

DEVICE = "device:"
ANONYMOUS_WINDOW = timedelta(hours=1)


class TooManySupports(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, retry_after: int, params: dict[str, object] | None = None) -> None:
        super().__init__(detail, params=params)
        self.retry_after = retry_after


def device_supporter(device_key: str) -> str:
    """How a device that said "me too" without an account is kept: a hash of its key, never the key."""
    return DEVICE + hash_key(device_key)[:40]


async def support(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    principal: Principal | None,
    words: str,
    device_key: str | None = None,
) -> int:
    """A villager says "me too" instead of filing again; returns the number of supporters."""
    await authorize_support(session, case, principal)
    if case.status not in OPEN:
        raise Conflict("Only an open case can be supported.", current_status=case.status)
    subject = principal.subject if principal else None
    if subject and subject == case.submitted_by:
        raise Conflict("You filed this case yourself.")
    supporter = subject or (device_supporter(device_key) if device_key else None)
    if supporter and await supports(session, case.id, supporter):
        raise Conflict("You support this case already.")
    now = now_of(runtime)
    if subject is None:
        await _within_anonymous_limit(session, runtime, case, now)
    session.add(CaseSupporter(id=str(uuid.uuid4()), case_id=case.id, supporter=supporter, filer=False, at=now))
    villager = Who(subject or "anonymous", frozenset({Actor.filer}))
    await note(
        session,
        case,
        "support",
        villager,
        Actor.filer,
        with_note(say('Another villager said "me too"'), words),
        now,
        words,
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
        raise Conflict(
            "The case to merge into is {status}.",
            params={"status": i18n.code("case", target.status)},
            current_status=target.status,
            action="merge",
        )
    now = now_of(runtime)
    joined = await _move_supporters(session, case, target, now)
    case.merged_into_id, case.due_kind = target.id, None
    await close_referrals(session, case)
    words = with_note(say("Merged into another case about the same matter; supporters moved there"), data.note)
    await move(session, runtime, case, "merge", who, words, now, said=data.note, into_case_id=target.id)
    actor = standing_for_note(who, Actor.staff)
    await note(
        session,
        target,
        "merge_in",
        who,
        actor,
        say("A case about the same matter joined this one; {joined} supporters came with it", joined=joined),
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


async def _within_anonymous_limit(session: AsyncSession, runtime: CaseRuntime, case: Case, now: datetime) -> None:
    """At most `anonymous_supports_per_hour` supports without an account a case an hour (the case is locked)."""
    limit = runtime.policy.anonymous_supports_per_hour
    since = now - ANONYMOUS_WINDOW
    query = select(func.count(), func.min(CaseSupporter.at)).where(
        CaseSupporter.case_id == case.id,
        CaseSupporter.at > since,
        CaseSupporter.filer.is_(False),
        or_(CaseSupporter.supporter.is_(None), CaseSupporter.supporter.startswith(DEVICE)),
    )
    count, oldest = (await session.execute(query)).one()
    if count >= limit:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        wait = max(1, math.ceil((oldest + ANONYMOUS_WINDOW - now).total_seconds()))
        raise TooManySupports(
            "This case had {limit} supports without an account in the last hour; sign in, or try again later.",
            params={"limit": limit},
            retry_after=wait,
        )
