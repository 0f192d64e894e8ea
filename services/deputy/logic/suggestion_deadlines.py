"""The answers' deadlines: a reminder to the lead organisation before an answer is due, an escalation to the
NPC office (督办) once it is late. Each stage is written to `suggestion_notices` with its event in one
transaction, so it is given once per due time (a re-handling's new due time has its own).

The deputy service's one periodic task (runtime.DeputyRuntime runs `run_scheduler`); on PostgreSQL a
transaction-level advisory lock lets one replica act per tick."""

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain import suggestions as rules
from services.deputy.logic.suggestions import event_fields, signers_of
from services.deputy.models import Suggestion, SuggestionNotice
from shared.messaging.catalogue import SuggestionReminded
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)

LOCK_KEY = 0x53_55_47_47_44_55_45  # "SUGGDUE"
TICK_SECONDS = 300.0


async def run_scheduler(runtime: ServiceRuntime) -> None:
    """The lifespan task: a tick every five minutes (the first one after that long)."""
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            await run_deadlines(runtime)
        except Exception as error:  # the database away: try again next tick
            log.warning("suggestion deadlines paused: %s", error)


async def _lead(session: AsyncSession, runtime: ServiceRuntime) -> bool:
    if runtime.engine.dialect.name != "postgresql":
        return True
    return bool((await session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY})).scalar_one())


async def run_deadlines(runtime: ServiceRuntime) -> int | None:
    """One tick; returns how many notices it gave, or None when another replica holds the tick."""
    async with runtime.maker() as session, session.begin():
        if not await _lead(session, runtime):
            return None
        now = runtime.clock.now()
        horizon = now + timedelta(days=rules.REMINDER_DAYS)
        query = select(Suggestion).where(
            Suggestion.state.in_(rules.OPEN_FOR_ANSWER), Suggestion.due_at.is_not(None), Suggestion.due_at <= horizon
        )
        if runtime.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        given = 0
        for suggestion in (await session.execute(query.order_by(Suggestion.id))).scalars().all():
            given += await _stages(session, runtime, suggestion, now)
    return given


async def _stages(session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, now: datetime) -> int:
    due_at = suggestion.due_at
    assert due_at is not None
    done = set(
        (
            await session.execute(
                select(SuggestionNotice.stage).where(
                    SuggestionNotice.suggestion_id == suggestion.id, SuggestionNotice.due_at == due_at
                )
            )
        ).scalars()
    )
    given = 0
    for stage, at in rules.deadline_stages(due_at):
        if now < at or stage in done:
            continue
        session.add(SuggestionNotice(suggestion_id=suggestion.id, due_at=due_at, stage=stage, at=now))
        if stage == "reminder" and rules.is_late(due_at, now):
            continue  # late already: the escalation says it
        signers = await signers_of(session, suggestion.id)
        payload = SuggestionReminded(**{**event_fields(suggestion, signers, now), "stage": stage})
        await runtime.emit(session, payload, subject=suggestion.id)
        given += 1
    return given
