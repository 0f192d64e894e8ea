"""Retention (PIPL: personal data kept no longer than its purpose needs): a case finished more than
PERSONAL_DATA_RETENTION_DAYS ago loses its contact (phone, name, how to reach them), its photos, its voice note
and its exact point. Its description, timeline, grid and everything the figures count stay.

A case is finished in a closed status of the catalogue (CLOSED_CASE_STATUSES: closed, withdrawn, rejected,
merged), since its last step into that status (a case reopened and closed again counts from its last closing).
The stored answers (idempotency_keys) that name a swept case are deleted too: they carry its point and masked
contact as the reader saw them.

The sweep is a lifespan task (app.py's background, beside the deadline scheduler): at start, then every
CASE_RETENTION_SWEEP_SECONDS (an hour), in batches of CASE_SCHEDULER_BATCH cases a transaction; on PostgreSQL
one replica sweeps at a time (an advisory lock), the others skip."""

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic import recordings
from services.case_intake.logic.deadlines import lead
from services.case_intake.logic.personal_data import forget_contact_and_point, forget_photos
from services.case_intake.models import Case, CaseTransition, Photo, Recording
from services.case_intake.runtime import CaseRuntime
from shared.clock import Clock
from shared.messaging.catalogue import CLOSED_CASE_STATUSES

log = logging.getLogger(__name__)

LOCK_KEY = 0x43_41_53_45_50_49_49  # "CASEPII": one advisory lock for the retention sweep of every replica


async def run_retention(runtime: CaseRuntime) -> None:
    """The lifespan task: a sweep at start, then one every `retention_sweep_seconds`."""
    while True:
        try:
            swept = await sweep_retention(runtime)
            if swept:
                log.info("retention sweep: contact, photos and point removed from %d finished cases", swept)
        except Exception as error:  # the database away: try again next time
            log.warning("retention sweep paused: %s", error)
        await asyncio.sleep(runtime.policy.retention_sweep_seconds)


async def sweep_retention(runtime: CaseRuntime, clock: Clock | None = None) -> int | None:
    """One sweep as of `clock`'s now (the runtime's clock by default); returns how many cases it stripped, or
    None when another replica holds the sweep."""
    now = (clock or runtime.clock).now()
    finished_before = now - timedelta(days=runtime.settings.personal_data_retention_days)
    batch = runtime.policy.scheduler_batch
    total = 0
    while True:
        async with runtime.maker() as session, session.begin():
            if not await lead(session, runtime, LOCK_KEY):
                return None
            swept = await forget_finished(session, runtime, finished_before, batch)
        total += swept
        if swept < batch:
            return total


async def forget_finished(session: AsyncSession, runtime: CaseRuntime, finished_before: datetime, limit: int) -> int:
    """Up to `limit` cases finished before `finished_before` that still keep a contact, a point, photos or a voice
    note: remove
    them; returns how many cases."""
    finished_at = (
        select(func.max(CaseTransition.at))
        .where(CaseTransition.case_id == Case.id, CaseTransition.to_status == Case.status)
        .scalar_subquery()
    )
    keeps = or_(
        Case.contact_phone.is_not(None),
        Case.contact_name.is_not(None),
        Case.location_lat.is_not(None),
        Case.location_lon.is_not(None),
        exists().where(Photo.case_id == Case.id),
        exists().where(Recording.case_id == Case.id),
    )
    query = (
        select(Case)
        .where(Case.status.in_(CLOSED_CASE_STATUSES), keeps, finished_at <= finished_before)
        .order_by(Case.id)
        .limit(limit)
    )
    if runtime.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    cases = (await session.execute(query)).scalars().all()
    if not cases:
        return 0
    for case in cases:
        forget_contact_and_point(case)
    ids = {case.id for case in cases}
    await forget_photos(session, ids)
    await recordings.forget(session, sorted(ids))
    answers = runtime.tables.idempotency
    naming = or_(*(answers.c.response_body.contains(case_id, autoescape=True) for case_id in ids))
    await session.execute(delete(answers).where(naming))
    return len(cases)
