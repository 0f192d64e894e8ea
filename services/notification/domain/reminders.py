"""Notices that wait for their time: what an event plans for later, and what a later event cancels.

- A case routed to deputies (not urgent: an urgent one had its SMS at once) and still unaccepted
  `UNACCEPTED_SMS_WORKING_HOURS` working hours later (domain/workhours.py): an SMS to those deputies. Any later
  step of the case but an escalation or a reopening ends the wait (accepted, returned, rejected, withdrawn,
  merged); a new routing of the case (the office dispatched it again) replaces the plan.
- A reception session (station.session.scheduled): each deputy on duty is reminded the day before, at
  `DAY_BEFORE_AT` Beijing time (at once when the session was announced later than that, before it begins).
  Its cancellation cancels the reminder, also when the cancellation is heard of first.
- A referral (case.case.referred, or sent back with a new due date: case.referral.returned): the officers of
  the organisation are reminded the day before its due day, at `DAY_BEFORE_AT` (at once when it was referred
  later than that, the day before; none when it is due today). The organisation's answer cancels it, and so
  does the case ending (resolved, withdrawn, rejected, merged: case intake closes its referrals then).

A plan names a `subject`, what later events cancel it by, and an `instance`, what tells plans of one subject
apart; its key is made of the kind, the subject and the instance, so the same event planning again plans
nothing new, and a newer plan of the kind and subject replaces a waiting older one. A plan already more than
`LATE_LIMIT` overdue when it is made (events read again from the start of the stream) is not made.
"""

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from services.notification.domain.notices import Audience, CaseFacts, Kind
from services.notification.domain.timing import due_day
from services.notification.domain.workhours import add_working_hours
from shared.clock import CHINA
from shared.messaging.catalogue import (
    CASE_TRANSITIONS,
    CaseAssignedV2,
    CaseEscalated,
    CaseMerged,
    CaseReferred,
    CaseRejected,
    CaseReopened,
    CaseResolved,
    CaseSubmittedV2,
    CaseWithdrawn,
    ReferralAnswered,
    ReferralReturned,
)

UNACCEPTED_SMS_WORKING_HOURS = 2
DAY_BEFORE_AT = time(9, 0)
LATE_LIMIT = timedelta(hours=24)
ROUTINGS = frozenset({CaseSubmittedV2.event_type, CaseAssignedV2.event_type})
ENDS_THE_WAIT = frozenset(step.event_type for step in CASE_TRANSITIONS) - {
    CaseEscalated.event_type,
    CaseReopened.event_type,
}
"""Case steps after which the case no longer waits for its deputies to accept it (an escalation or a reopening
leaves it waiting, or waiting again)."""
REFERRALS = frozenset({CaseReferred.event_type, ReferralReturned.event_type})
ENDS_THE_REFERRALS = frozenset(step.event_type for step in (CaseResolved, CaseWithdrawn, CaseRejected, CaseMerged))
"""Case steps that close a case's open referrals (case intake's close_referrals)."""


@dataclass(frozen=True)
class Planned:
    kind: Kind
    subject: str
    instance: str
    due_at: datetime
    audience: Audience
    deputy_ids: tuple[str, ...] = ()
    case_id: str = ""
    tracking_code: str = ""
    grid_id: str | None = None
    urgent: bool = False
    session_id: str | None = None
    when: datetime | None = None
    organisation: str | None = None

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.kind}\n{self.subject}\n{self.instance}".encode()).hexdigest()


@dataclass(frozen=True)
class Cancel:
    """Waiting plans of these kinds for this subject (or, without one, about this case) are cancelled, because
    of `reason`."""

    subject: str | None
    kinds: frozenset[Kind] = field(default_factory=frozenset)
    reason: str = ""
    case_id: str | None = None


def case_subject(case_id: str) -> str:
    return f"case:{case_id}"


def day_before(moment: datetime) -> datetime:
    """`DAY_BEFORE_AT` on the day before the Beijing day of `moment`."""
    day = moment.astimezone(CHINA).date() - timedelta(days=1)
    return datetime.combine(day, DAY_BEFORE_AT, tzinfo=CHINA).astimezone(UTC)


def _in_time(planned: Planned, now: datetime) -> list[Planned]:
    return [planned] if planned.due_at >= now - LATE_LIMIT else []


def plan_case(facts: CaseFacts, routed_at: datetime, instance: str, now: datetime) -> list[Planned]:
    """What a case event plans for later; `routed_at` is when the case reached its deputies, `instance` the
    event's own key."""
    if facts.event_type in ROUTINGS and facts.deputy_ids and not facts.urgent:
        return _in_time(
            Planned(
                kind=Kind.case_unaccepted,
                subject=case_subject(facts.case_id),
                instance=instance,
                due_at=add_working_hours(routed_at, UNACCEPTED_SMS_WORKING_HOURS),
                audience=Audience.deputies,
                deputy_ids=tuple(dict.fromkeys(facts.deputy_ids)),
                case_id=facts.case_id,
                tracking_code=facts.tracking_code or "",
                grid_id=facts.grid_id,
            ),
            now,
        )
    return []


def session_subject(session_id: str) -> str:
    return f"session:{session_id}"


def session_reminder(session_id: str, starts_at: datetime, deputy_ids: list[str] | tuple[str, ...]) -> Planned:
    """The reminder of a session's deputies on duty, the day before it begins."""
    return Planned(
        kind=Kind.session_tomorrow,
        subject=session_subject(session_id),
        instance=starts_at.astimezone(UTC).isoformat(),
        due_at=day_before(starts_at),
        audience=Audience.deputies,
        deputy_ids=tuple(dict.fromkeys(deputy_ids)),
        session_id=session_id,
        when=starts_at,
    )


def plan_session(
    session_id: str, starts_at: datetime, deputy_ids: list[str] | tuple[str, ...], now: datetime
) -> list[Planned]:
    """A session announced: its reminder, due the day before (at once if that has passed and the session has
    not begun; none for a session without deputies on duty or one that has begun)."""
    if not deputy_ids or starts_at <= now:
        return []
    planned = session_reminder(session_id, starts_at, deputy_ids)
    return [replace(planned, due_at=max(planned.due_at, now))]


def session_cancelled(session_id: str) -> Cancel:
    return Cancel(session_subject(session_id), frozenset({Kind.session_tomorrow}), "the session was cancelled")


def cancelled_by(facts: CaseFacts) -> list[Cancel]:
    """The waiting plans a case event cancels."""
    event = facts.event_type
    cancels = []
    if event in ENDS_THE_WAIT:
        cancels.append(Cancel(case_subject(facts.case_id), frozenset({Kind.case_unaccepted}), f"{event} came first"))
    if event == ReferralAnswered.event_type and facts.organisation:
        subject = referral_subject(facts.case_id, facts.organisation)
        cancels.append(Cancel(subject, frozenset({Kind.referral_due}), "the organisation answered"))
    if event in ENDS_THE_REFERRALS:
        cancels.append(Cancel(None, frozenset({Kind.referral_due}), f"{event}: the case ended", facts.case_id))
    return cancels


def referral_subject(case_id: str, organisation: str) -> str:
    return f"referral:{case_id}:{organisation}"


def plan_referral(facts: CaseFacts, now: datetime) -> list[Planned]:
    """A case referred to an organisation (or an answer sent back with a new due date): the reminder of its
    officers the day before the due day."""
    if facts.event_type not in REFERRALS or not facts.organisation or facts.due_at is None:
        return []
    day = due_day(facts.due_at)
    if now.astimezone(CHINA).date() >= day:
        return []  # due today or late: case intake chases it
    remind = datetime.combine(day - timedelta(days=1), DAY_BEFORE_AT, tzinfo=CHINA).astimezone(UTC)
    planned = Planned(
        kind=Kind.referral_due,
        subject=referral_subject(facts.case_id, facts.organisation),
        instance=facts.due_at.astimezone(UTC).isoformat(),
        due_at=max(remind, now),
        audience=Audience.organisation,
        case_id=facts.case_id,
        tracking_code=facts.tracking_code or "",
        grid_id=facts.grid_id,
        when=facts.due_at,
        organisation=facts.organisation,
    )
    return [planned]
