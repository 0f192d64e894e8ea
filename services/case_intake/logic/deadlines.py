"""The deadline scheduler: a reminder before a deadline, a chase (催办) once it has passed, escalation to the
township grid head and then the NPC office (督办), chasing late referrals, closing unanswered resolutions, and
deleting photo and voice-note uploads no filing took within CASE_UNATTACHED_PHOTO_DAYS.
The stages of a deadline are domain.deadlines; an urgent case's come in clock hours (policy.py). A case that
reached no deputy at all goes to the NPC office once its accept deadline has passed.

Every notice is written to `deadline_notices` in the same transaction as its effect, so each is given once.
On PostgreSQL a transaction-level advisory lock lets one replica act per tick (the others skip it), and the
cases it acts on are locked; SQLite serves one process, whose write transactions are serialised.
"""

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.deadlines import WORDS, lateness, stages
from services.case_intake.domain.lifecycle import ESCALATABLE, SYSTEM, Actor
from services.case_intake.domain.wording import say
from services.case_intake.domain.workdays import WorkCalendar
from services.case_intake.logic import recordings
from services.case_intake.logic.cases import assignees, calendar, get_case
from services.case_intake.logic.escalation import escalate_case, escalate_unrouted
from services.case_intake.logic.lifecycle import auto_close
from services.case_intake.logic.photos import forget_unattached
from services.case_intake.logic.timeline import note
from services.case_intake.models import Case, DeadlineNotice, Referral
from services.case_intake.runtime import CaseRuntime
from shared.messaging.catalogue import CaseReminded

log = logging.getLogger(__name__)

LOCK_KEY = 0x43_41_53_45_44_55_45  # "CASEDUE": one advisory lock for the deadline scheduler of every replica


async def run_scheduler(runtime: CaseRuntime) -> None:
    """The lifespan task: a tick every `scheduler_seconds` (the first one after that long)."""
    while True:
        await asyncio.sleep(runtime.policy.scheduler_seconds)
        try:
            await run_deadlines(runtime)
        except Exception as error:  # the database away: try again next tick
            log.warning("deadline scheduler paused: %s", error)


async def run_deadlines(runtime: CaseRuntime) -> int | None:
    """One tick; returns how many notices and closings it gave, or None when another replica holds the tick."""
    async with runtime.maker() as session, session.begin():
        if not await lead(session, runtime, LOCK_KEY):
            return None
        now = runtime.clock.now()
        days = await calendar(session, runtime)
        acted = await _case_deadlines(session, runtime, days, now)
        acted += await _unrouted(session, runtime, now)
        acted += await _referral_deadlines(session, runtime, now)
        acted += await _auto_close(session, runtime, now)
        await forget_unattached(session, now - timedelta(days=runtime.policy.unattached_photo_days))
        await recordings.forget_unattached(session, now - timedelta(days=runtime.policy.unattached_photo_days))
    return acted


async def lead(session: AsyncSession, runtime: CaseRuntime, key: int) -> bool:
    """Does this replica act in this tick? On PostgreSQL the one that takes the transaction-level advisory lock
    `key` does (the others skip the tick); SQLite serves one process."""
    if runtime.engine.dialect.name != "postgresql":
        return True
    query = text("SELECT pg_try_advisory_xact_lock(:key)")
    return bool((await session.execute(query, {"key": key})).scalar_one())


def _lock(query: Select[Any], runtime: CaseRuntime) -> Select[Any]:
    return query.with_for_update(skip_locked=True) if runtime.engine.dialect.name == "postgresql" else query


def _due(case: Case) -> datetime | None:
    return case.accept_due_at if case.due_kind == "accept" else case.resolve_due_at


async def _case_deadlines(session: AsyncSession, runtime: CaseRuntime, days: WorkCalendar, now: datetime) -> int:
    horizon = now + timedelta(hours=runtime.policy.reminder_hours)
    query = select(Case).where(
        Case.status.in_(ESCALATABLE),
        or_(
            and_(Case.due_kind == "accept", Case.accept_due_at <= horizon),
            and_(Case.due_kind == "resolve", Case.resolve_due_at <= horizon),
        ),
    )
    cases = (await session.execute(_lock(query.order_by(Case.id), runtime))).scalars().all()
    given = await _given(session, [case.id for case in cases])
    acted = 0
    for case in cases:
        due_at, kind = _due(case), case.due_kind
        assert due_at is not None and kind is not None
        for stage in stages(days, runtime.policy, due_at, case.urgent):
            if now < stage.at or (case.id, kind, due_at, stage.name) in given:
                continue
            session.add(DeadlineNotice(case_id=case.id, deadline=kind, due_at=due_at, stage=stage.name, at=now))
            acted += await _give(session, runtime, case, kind, due_at, stage.name, now, days)
    return acted


async def _given(session: AsyncSession, case_ids: list[str]) -> set[tuple]:
    if not case_ids:
        return set()
    query = select(DeadlineNotice).where(DeadlineNotice.case_id.in_(case_ids))
    return {(row.case_id, row.deadline, row.due_at, row.stage) for row in (await session.execute(query)).scalars()}


async def _give(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    kind: str,
    due_at: datetime,
    stage: str,
    now: datetime,
    days: WorkCalendar,
) -> int:
    if stage == "reminder":
        if now >= due_at:  # late already: the chase says it
            return 0
        await _remind(session, runtime, case, kind, due_at, "reminder", now)
    elif stage == "chase":
        await _remind(session, runtime, case, kind, due_at, "chase", now)
        words = say("Overdue: the deputies were reminded to {doing} it (催办)", doing=WORDS[kind])
        await note(session, case, "chase", SYSTEM, Actor.system, words, now)
    else:
        level = 1 if stage == "escalate_head" else 2
        if case.escalation_level >= level:
            return 0
        await escalate_case(session, runtime, case, SYSTEM, lateness(days, case.urgent, due_at, now))
    return 1


async def _unrouted(session: AsyncSession, runtime: CaseRuntime, now: datetime) -> int:
    """Cases still waiting for a deputy when their accept deadline passed: to the NPC office."""
    query = select(Case).where(Case.status == "submitted", Case.accept_due_at <= now)
    cases = (await session.execute(_lock(query.order_by(Case.id), runtime))).scalars().all()
    for case in cases:
        await escalate_unrouted(session, runtime, case)
    return len(cases)


async def _remind(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    kind: str,
    due_at: datetime,
    stage: str,
    now: datetime,
    organisation: str | None = None,
) -> None:
    payload = CaseReminded(
        case_id=case.id,
        tracking_code=case.tracking_code,
        grid_id=case.grid_id,
        deadline=kind,
        stage=stage,
        due_at=due_at,
        deputy_ids=await assignees(session, case.id),
        organisation=organisation,
        at=now,
    )
    await runtime.emit(session, payload, subject=case.id)


async def _referral_deadlines(session: AsyncSession, runtime: CaseRuntime, now: datetime) -> int:
    noticed = exists().where(
        DeadlineNotice.case_id == Referral.case_id,
        DeadlineNotice.deadline == "referral:" + Referral.id,
        DeadlineNotice.due_at == Referral.due_at,
    )
    query = select(Referral).where(Referral.status == "open", Referral.due_at <= now, ~noticed)
    referrals = (await session.execute(_lock(query.order_by(Referral.id), runtime))).scalars().all()
    for referral in referrals:
        case = await get_case(session, referral.case_id)
        deadline = f"referral:{referral.id}"
        session.add(DeadlineNotice(case_id=case.id, deadline=deadline, due_at=referral.due_at, stage="chase", at=now))
        await _remind(session, runtime, case, "referral", referral.due_at, "chase", now, referral.organisation)
        words = say(
            "Overdue: {organisation} was reminded that its answer is late (催办)", organisation=referral.organisation
        )
        await note(session, case, "chase", SYSTEM, Actor.system, words, now)
    return len(referrals)


async def _auto_close(session: AsyncSession, runtime: CaseRuntime, now: datetime) -> int:
    days = runtime.policy.auto_close_days
    query = select(Case).where(Case.status == "resolved", Case.resolved_at <= now - timedelta(days=days))
    cases = (await session.execute(_lock(query.order_by(Case.id), runtime))).scalars().all()
    for case in cases:
        await auto_close(session, runtime, case, days)
    return len(cases)
