"""The stages of one deadline (a reminder before it, a chase when it passes, escalation to the township grid head
and then to the NPC office) and how lateness is put in words. An urgent case counts clock hours (policy.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.case_intake.domain.workdays import WorkCalendar
from shared.i18n import N_

WORDS = {"accept": N_("accept"), "resolve": N_("resolve")}
"""The verb of each deadline kind, in a chase's sentence."""


class DeadlinePolicy(Protocol):
    def reminder_before(self, urgent: bool) -> timedelta: ...

    def escalation_times(self, days: WorkCalendar, due_at: datetime, urgent: bool) -> tuple[datetime, datetime]: ...


@dataclass(frozen=True)
class Stage:
    name: str
    at: datetime


def stages(days: WorkCalendar, policy: DeadlinePolicy, due_at: datetime, urgent: bool = False) -> list[Stage]:
    """When each notice of one deadline is due, in order."""
    to_head, to_office = policy.escalation_times(days, due_at, urgent)
    return [
        Stage("reminder", due_at - policy.reminder_before(urgent)),
        Stage("chase", due_at),
        Stage("escalate_head", to_head),
        Stage("escalate_office", to_office),
    ]


def lateness(days: WorkCalendar, urgent: bool, due_at: datetime, now: datetime) -> str:
    if urgent:
        return f"urgent, {int((now - due_at).total_seconds() // 3600)} hours past the deadline"
    return f"{days.working_days_between(due_at, now)} working days past the deadline"
