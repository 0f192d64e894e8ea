"""Notices of other services' steps, decided in the event's inbox transaction like a case's
(logic/deciding.py `write_deliveries`: once per event, recipient, channel and device):

- a villager's bookings (STATION): the account that booked is told its booking is confirmed, that a place
  freed up for its waitlisted booking, or that the session it booked was cancelled. The events carry the
  account's id only (the token subject), never a name or a number; push and the in-app list.
- micro-projects (FUNDING): the followers of each case a project answers (and the case's SMS number, when one
  was given: logic/contacts.py) hear that it was approved and that it was completed. The events name the cases
  by id; their tracking codes come from the case events this service already reads (`CaseCode`).
- an objection to a project's public notice (FUNDING): the NPC office's accounts (ids only: who objected and
  what they wrote stay in micro_funding).
- deputies' suggestions (DEPUTY, docs/suggestions.md): the lead organisation's officers when one is assigned
  (or sent back to it) and when the deputy service's deadline reminder says its answer is due soon; the
  suggestion's deputies (lead and co-signers) when it is answered.
"""

from functools import cache

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.domain.notices import Audience, Kind, Notice
from services.notification.logic.deciding import About, event_key, write_deliveries
from services.notification.models import CaseCode
from shared.messaging.catalogue import (
    BookingMade,
    BookingPromoted,
    EventPayload,
    ObjectionRaised,
    ProjectApproved,
    ProjectCompleted,
    SessionCancelled,
    SuggestionAnswered,
    SuggestionAssigned,
    SuggestionRehandled,
    SuggestionReminded,
)

PROJECT_STEPS = {ProjectApproved.event_type: Kind.project_approved, ProjectCompleted.event_type: Kind.project_completed}


async def remember_code(session: AsyncSession, payload: EventPayload) -> None:
    """Keep a case's tracking code by its id, from any case event that names both (the code never changes)."""
    case_id, code = getattr(payload, "case_id", None), getattr(payload, "tracking_code", None)
    if not case_id or not code:
        return
    statement = _remember_statement(session.get_bind().dialect.name)
    await session.execute(statement, {"case_id": case_id, "tracking_code": code})


@cache
def _remember_statement(dialect: str) -> Insert:
    """Built once: every case event runs it (issue #21)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        CaseCode.__table__
    ).on_conflict_do_nothing()


async def decide_booking(session: AsyncSession, runtime, payload: EventPayload) -> int:  # type: ignore[no-untyped-def]
    """The villager who booked: confirmed (a booking, not a walk-in), promoted from the waitlist, or cancelled
    with its session."""
    if isinstance(payload, BookingMade):
        if payload.kind != "booked" or payload.status != "confirmed" or not payload.owner_id:
            return 0
        kind, subjects, when = Kind.booking_confirmed, (payload.owner_id,), payload.starts_at
    elif isinstance(payload, BookingPromoted):
        if not payload.owner_id:
            return 0
        kind, subjects, when = Kind.booking_promoted, (payload.owner_id,), payload.starts_at
    elif isinstance(payload, SessionCancelled):
        kind, subjects, when = Kind.booking_cancelled, tuple(payload.owner_ids), payload.starts_at
    else:
        return 0
    if not subjects:
        return 0
    notice = Notice(kind, Audience.accounts, subjects=subjects)
    about = About("", None, None, session_id=payload.session_id, when=when)
    return await write_deliveries(session, runtime, event_key(payload), [notice], about)


async def decide_funding(session: AsyncSession, runtime, payload: EventPayload) -> int:  # type: ignore[no-untyped-def]
    """An objection (the office), or a project approved or completed (the followers of each case it answers:
    one key for the event, so a device that follows two of its cases hears once)."""
    key = event_key(payload)
    if isinstance(payload, ObjectionRaised):
        notice = Notice(Kind.objection_raised, Audience.office)
        return await write_deliveries(session, runtime, key, [notice], About("", None, None, url="/office/review"))
    kind = PROJECT_STEPS.get(payload.event_type)
    case_ids = list(getattr(payload, "case_ids", None) or [])
    if kind is None or not case_ids:
        return 0
    query = select(CaseCode.case_id, CaseCode.tracking_code).where(CaseCode.case_id.in_(case_ids))
    codes = (await session.execute(query)).all()
    written = 0
    for case_id, code in sorted(codes):
        about = About(case_id, code, None, url=f"/project/{payload.project_id}")  # type: ignore[attr-defined]
        written += await write_deliveries(session, runtime, key, [Notice(kind, Audience.followers)], about)
    return written


async def decide_suggestion(session: AsyncSession, runtime, payload: EventPayload) -> int:  # type: ignore[no-untyped-def]
    """Assigned or sent back (the lead organisation's officers, with the due day), its answer due soon (the
    same), answered (the deputies who made and signed it)."""
    notices: list[Notice] = []
    if isinstance(payload, SuggestionAssigned | SuggestionRehandled) and payload.lead_organisation:
        notices.append(
            Notice(
                Kind.suggestion_assigned,
                Audience.organisation,
                organisation=payload.lead_organisation,
                when=payload.due_at,
            )
        )
    elif isinstance(payload, SuggestionReminded) and payload.stage == "reminder" and payload.lead_organisation:
        due, organisation = payload.due_at, payload.lead_organisation
        notices.append(Notice(Kind.suggestion_due, Audience.organisation, organisation=organisation, when=due))
    elif isinstance(payload, SuggestionAnswered) and payload.deputy_ids:
        notices.append(Notice(Kind.suggestion_answered, Audience.deputies, tuple(dict.fromkeys(payload.deputy_ids))))
    if not notices:
        return 0
    return await write_deliveries(session, runtime, event_key(payload), notices, About("", None, None))
