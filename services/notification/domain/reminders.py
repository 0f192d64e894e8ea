"""Notices that wait for their time: what an event plans for later, and what a later event cancels.

- A case routed to deputies (not urgent: an urgent one had its SMS at once) and still unaccepted
  `UNACCEPTED_SMS_WORKING_HOURS` working hours later (domain/workhours.py): an SMS to those deputies. Any later
  step of the case but an escalation or a reopening ends the wait (accepted, returned, rejected, withdrawn,
  merged); a new routing of the case (the office dispatched it again) replaces the plan.
- A reception session (station.session.scheduled): each deputy on duty is reminded the day before, at
  `DAY_BEFORE_AT` Beijing time (at once when the session was announced later than that, before it begins).
  Its cancellation cancels the reminder, also when the cancellation is heard of first.

A plan names a `subject`, what later events cancel it by, and an `instance`, what tells plans of one subject
apart; its key is made of the kind, the subject and the instance, so the same event planning again plans
nothing new, and a newer plan of the kind and subject replaces a waiting older one. A plan already more than
`LATE_LIMIT` overdue when it is made (events read again from the start of the stream) is not made.
"""

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from services.notification.domain.notices import Audience, CaseFacts, Kind
from services.notification.domain.workhours import add_working_hours
from shared.clock import CHINA
from shared.messaging.catalogue import CASE_TRANSITIONS, CaseAssignedV2, CaseEscalated, CaseReopened, CaseSubmittedV2

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

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.kind}\n{self.subject}\n{self.instance}".encode()).hexdigest()


@dataclass(frozen=True)
class Cancel:
    """Waiting plans of these kinds for this subject are cancelled, because of `reason`."""

    subject: str
    kinds: frozenset[Kind] = field(default_factory=frozenset)
    reason: str = ""


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
    if event in ENDS_THE_WAIT:
        return [Cancel(case_subject(facts.case_id), frozenset({Kind.case_unaccepted}), f"{event} came first")]
    return []
