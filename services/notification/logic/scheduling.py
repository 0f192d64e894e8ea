"""Notices that wait for their time (domain/reminders.py): planned and cancelled in the inbox transaction of the
events that plan or cancel them, given by a lifespan task when they are due.

Giving one is one transaction: the notice's deliveries are written (logic/deciding.py `write_deliveries`, to
the accounts and devices known now, under the notice's own key) and the notice marked given, so a crash gives it
wholly or not at all, and the delivery key keeps it to one message per recipient, channel and device. On
PostgreSQL the due rows are locked (skip locked), so two replicas never give the same notice.

A cancellation can only stop a notice that is still waiting: an accept that arrives after the SMS went finds it
given. Events are applied in the order the bus delivers them; a case's routing and its accept come from one
publisher in that order."""

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from functools import cache

from sqlalchemy import Insert, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.domain.notices import Audience, Kind, Notice
from services.notification.domain.reminders import (
    Cancel,
    Planned,
    cancelled_by,
    plan_case,
    plan_referral,
    plan_session,
    session_cancelled,
    session_reminder,
)
from services.notification.logic.deciding import About, event_key, facts_of, write_deliveries
from services.notification.models import Delivery, ScheduledNotice
from shared.db import READ_ONLY, is_sqlite
from shared.messaging.catalogue import CaseSubmittedV2, EventPayload, SessionCancelled, SessionScheduled

log = logging.getLogger(__name__)


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(ScheduledNotice)


NOTICES = ScheduledNotice.__table__
REPLACE_OLDER = (
    update(NOTICES)
    .where(
        NOTICES.c.subject == bindparam("old_subject"),
        NOTICES.c.kind == bindparam("old_kind"),
        NOTICES.c.status == "waiting",
        NOTICES.c.key != bindparam("new_key"),
    )
    .values(status="cancelled", finished_at=bindparam("now"), reason="replaced")
)
"""Core statements built once (SQLAlchemy caches their compiled form): a case event plans a notice or two, and
building an ORM statement for each cost more than running it (issue #21)."""


@cache
def _plan_statement(dialect: str) -> Insert:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NOTICES).on_conflict_do_nothing()


def _row(planned: Planned, status: str, now: datetime) -> dict:
    return {
        "key": planned.key,
        "kind": planned.kind.value,
        "subject": planned.subject,
        "due_at": planned.due_at,
        "status": status,
        "audience": planned.audience.value,
        "deputy_ids": list(planned.deputy_ids),
        "case_id": planned.case_id,
        "tracking_code": planned.tracking_code,
        "grid_id": planned.grid_id,
        "urgent": planned.urgent,
        "session_id": planned.session_id,
        "when_at": planned.when,
        "organisation": planned.organisation,
        "created_at": now,
    }


async def plan(session: AsyncSession, runtime, plans: Iterable[Planned]) -> None:  # type: ignore[no-untyped-def]
    """Keep each plan once (by its key); a waiting older plan of the same kind and subject is replaced."""
    now: datetime = runtime.clock.now()
    for planned in plans:
        older = {"old_subject": planned.subject, "old_kind": planned.kind.value, "new_key": planned.key, "now": now}
        await session.execute(REPLACE_OLDER, older)
        await session.execute(_plan_statement(session.get_bind().dialect.name), _row(planned, "waiting", now))


async def forestall(session: AsyncSession, runtime, planned: Planned, reason: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a plan as cancelled before it is made: the event that would make it, heard of later, finds its key
    taken and plans nothing."""
    row = {**_row(planned, "cancelled", runtime.clock.now()), "finished_at": runtime.clock.now(), "reason": reason}
    await session.execute(_insert(session).values(**row).on_conflict_do_nothing())


async def cancel(session: AsyncSession, runtime, cancels: Iterable[Cancel]) -> None:  # type: ignore[no-untyped-def]
    now: datetime = runtime.clock.now()
    for item in cancels:
        waiting = ScheduledNotice.kind.in_([kind.value for kind in item.kinds]) & (ScheduledNotice.status == "waiting")
        if item.subject is not None:
            waiting &= ScheduledNotice.subject == item.subject
        if item.case_id is not None:
            waiting &= ScheduledNotice.case_id == item.case_id
        await session.execute(
            update(ScheduledNotice).where(waiting).values(status="cancelled", finished_at=now, reason=item.reason[:200])
        )


async def plan_case_event(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    """What a case event cancels and plans for later. A filing reached its deputies when it was filed; a
    routing or dispatch later (case.case.assigned.v2 says not when) when this service heard of it."""
    facts = facts_of(payload)
    await cancel(session, runtime, cancelled_by(facts))
    routed_at = payload.submitted_at if isinstance(payload, CaseSubmittedV2) else runtime.clock.now()
    now = runtime.clock.now()
    await plan(session, runtime, plan_case(facts, routed_at, event_key(payload), now))
    referrals = plan_referral(facts, now)
    if referrals and not facts.tracking_code:  # an answer sent back names no tracking code: the case's own
        code = await _tracking_code(session, facts.case_id)
        referrals = [replace(planned, tracking_code=code) for planned in referrals]
    await plan(session, runtime, referrals)


async def _tracking_code(session: AsyncSession, case_id: str) -> str:
    for table in (ScheduledNotice, Delivery):
        query = select(table.tracking_code).where(table.case_id == case_id, table.tracking_code != "").limit(1)
        if code := await session.scalar(query):
            return code
    return ""


async def plan_station_event(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    """A session announced plans the reminder of its deputies on duty; its cancellation cancels it."""
    if isinstance(payload, SessionScheduled):
        plans = plan_session(payload.session_id, payload.starts_at, payload.deputy_ids, runtime.clock.now())
        await plan(session, runtime, plans)
    elif isinstance(payload, SessionCancelled):
        cancelled = session_cancelled(payload.session_id)
        await cancel(session, runtime, [cancelled])
        reminder = session_reminder(payload.session_id, payload.starts_at, payload.deputy_ids)
        await forestall(session, runtime, reminder, cancelled.reason)


def notice_of(row: ScheduledNotice) -> Notice:
    return Notice(
        Kind(row.kind), Audience(row.audience), tuple(row.deputy_ids or ()), row.urgent, organisation=row.organisation
    )


def about_of(row: ScheduledNotice) -> About:
    return About(row.case_id, row.tracking_code or None, row.grid_id, row.session_id, row.when_at)


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (ScheduledNotice.status == "waiting") & (ScheduledNotice.due_at <= now)


async def give_due(runtime) -> int:  # type: ignore[no-untyped-def]
    """Give the notices whose time has come; returns how many. Looks first without taking SQLite's write lock
    (most polls find nothing due)."""
    async with runtime.maker() as session:
        await session.connection(execution_options=READ_ONLY)
        if await session.scalar(select(ScheduledNotice.key).where(_due(runtime.clock.now())).limit(1)) is None:
            return 0
    async with runtime.maker() as session, session.begin():
        now: datetime = runtime.clock.now()
        query = (
            select(ScheduledNotice)
            .where(_due(now))
            .order_by(ScheduledNotice.due_at, ScheduledNotice.key)
            .limit(runtime.policy.notify_batch)
        )
        if not is_sqlite(runtime.settings.database_url):
            query = query.with_for_update(skip_locked=True)
        rows = (await session.scalars(query)).all()
        for row in rows:
            await write_deliveries(session, runtime, row.key, [notice_of(row)], about_of(row))
            row.status, row.finished_at = "given", now
    return len(rows)


async def run_scheduler(runtime) -> None:  # type: ignore[no-untyped-def]
    """The lifespan task: give what is due, then look again after NOTIFY_POLL_SECONDS."""
    while True:
        try:
            given = await give_due(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database away: try again at the next poll
            log.warning("the scheduler paused: %s", error)
            given = 0
        if given:
            continue
        await asyncio.sleep(runtime.policy.notify_poll_seconds)
