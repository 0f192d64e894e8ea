"""Deputies' suggestions (代表建议) as a people's congress handles them (建议办理): the states, who may take each
step, and the legal times.

A deputy drafts a suggestion, criticism or opinion (建议、批评和意见) and leads it; the other deputies named sign
it (附议) before it is submitted. The NPC office accepts it, merges it into a similar one or returns it with a
reason, then assigns it to one lead organisation (主办) and any co-organisations (协办). The lead organisation's
officer answers — the co-organisations give their opinions to the lead first — in one of four classes; within
the first ten days the officer may instead ask the office to assign it elsewhere. The deputy records how the
agency contacted them (面商/电话/书面) and rates the answer; a dissatisfied rating goes back to the office, which
sends it for re-handling with a new due date, and the second answer is rated again. An answer in class
"planned" stays open until the officer reports the promised measure done.

The Deputies Law's times: an answer is due three months after assignment, six for one the office marks broad
and difficult; the office may set a shorter time. Re-handling is due one month after it is sent back. Times
are counted in calendar months on the China civil calendar: due at the end of the due day, Beijing time.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.clock import CHINA
from shared.errors import Conflict, Forbidden, Unprocessable

KINDS = ("suggestion", "criticism", "opinion")
ANSWER_CLASSES = ("solved", "planned", "cannot_now", "reference")
"""解决或采纳 · 列入计划逐步解决 · 因条件限制暂不能解决 (with the reason) · 留作参考."""
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")
CONTACT_METHODS = ("in_person", "phone", "written")
"""面商 · 电话 · 书面."""

STATES = (
    "draft",  # the lead deputy writes it; co-signers sign
    "submitted",  # with the office
    "returned",  # the office sent it back to the deputy with a reason; edited and submitted again
    "merged",  # folded into a similar suggestion (final)
    "accepted",  # the office took it up (立案), to be assigned
    "assigned",  # with the lead organisation, the answer due
    "reassignment_requested",  # the lead organisation says it is not theirs; the office assigns again
    "answered",  # waiting for the deputy's rating
    "dissatisfied",  # rated dissatisfied; the office sends it back for re-handling
    "rehandling",  # with the lead organisation again, a new due date
    "planned",  # rated, the promised measure not yet done
    "completed",  # final
)
OPEN_FOR_ANSWER = frozenset({"assigned", "rehandling"})
"""The states in which an answer is due (and the deadline scheduler looks)."""
ACCEPTED_STATES = frozenset(STATES) - {"draft", "submitted", "returned", "merged"}
"""A suggestion the office accepted: it counts as a suggestion made (the five ones and the statistics)."""

# The actors of a step, relative to one suggestion.
LEAD = "lead_deputy"  # the deputy who drafted it and leads it
SIGNER = "cosigner"  # a deputy named to sign it who has not yet signed
DEPUTY = "deputy"  # the lead or a co-signer who signed
OFFICE = "office"  # the NPC office
LEAD_ORG = "lead_officer"  # an officer of the lead organisation
CO_ORG = "co_officer"  # an officer of a co-organisation


@dataclass(frozen=True)
class Step:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state stays (or the step decides it, as rating does)
    actors: frozenset[str]


def _step(action: str, sources: str, target: str | None, *actors: str) -> Step:
    return Step(action, frozenset(sources.split()), target, frozenset(actors))


STEPS = {
    step.action: step
    for step in (
        _step("edit", "draft returned", None, LEAD),
        _step("sign", "draft", None, SIGNER),
        _step("submit", "draft returned", "submitted", LEAD),
        _step("accept", "submitted", "accepted", OFFICE),
        _step("merge", "submitted", "merged", OFFICE),
        _step("return", "submitted", "returned", OFFICE),
        _step("assign", "accepted reassignment_requested", "assigned", OFFICE),
        _step("opinion", "assigned rehandling", None, CO_ORG),
        _step("request_reassignment", "assigned", "reassignment_requested", LEAD_ORG),
        _step("answer", "assigned rehandling", "answered", LEAD_ORG),
        _step("contact", "assigned rehandling answered", None, DEPUTY),
        _step("rate", "answered", None, LEAD),
        _step("rehandle", "dissatisfied", "rehandling", OFFICE),
        _step("conclude", "dissatisfied", "completed", OFFICE),
        _step("report_done", "planned", "completed", LEAD_ORG),
        _step("publication", " ".join(STATES), None, OFFICE),
    )
}
"""Each step: the states it may be taken in, the state it leads to and who may take it."""


def check(state: str, action: str, actors: set[str]) -> Step:
    """The step, if one of `actors` (the caller's relations to the suggestion) may take it in `state`: a stranger
    is refused before the state is looked at, so a refusal says nothing of where the suggestion stands."""
    step = STEPS[action]
    if not actors & step.actors:
        raise Forbidden(f"You may not take the step {action} on this suggestion.")
    if state not in step.sources:
        raise Conflict(f"A suggestion that is {state} cannot take the step {action}.", current_status=state)
    return step


def after_rating(rating: str, answer_class: str) -> str:
    """Dissatisfied goes back to the office; a planned measure stays open until done; any other answer ends it."""
    if rating == "dissatisfied":
        return "dissatisfied"
    return "planned" if answer_class == "planned" else "completed"


# --- the legal times --------------------------------------------------------------------------------------

ANSWER_MONTHS = 3
BROAD_ANSWER_MONTHS = 6
REHANDLE_MONTHS = 1
REASSIGNMENT_DAYS = 10
"""The first days after assignment in which the lead organisation may ask to have it assigned elsewhere."""
REMINDER_DAYS = 14
"""A reminder this many days before an answer is due; the escalation to the office once it is late."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Aug + 6 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def end_of(day: date) -> datetime:
    """The end of a China civil day, as a UTC instant (the start of the next)."""
    return datetime.combine(day + timedelta(days=1), time.min, CHINA).astimezone(UTC)


def legal_due(start: datetime, months: int) -> date:
    return add_months(start.astimezone(CHINA).date(), months)


def answer_due(assigned_at: datetime, broad: bool, due_on: date | None = None) -> datetime:
    """Three months after assignment, six when broad and difficult; the office may set an earlier day, never a
    later one nor one already past."""
    return _due(assigned_at, BROAD_ANSWER_MONTHS if broad else ANSWER_MONTHS, due_on)


def rehandle_due(sent_at: datetime, due_on: date | None = None) -> datetime:
    """One month after it is sent back for re-handling, or the earlier day the office sets."""
    return _due(sent_at, REHANDLE_MONTHS, due_on)


def _due(start: datetime, months: int, due_on: date | None) -> datetime:
    latest = legal_due(start, months)
    if due_on is None:
        return end_of(latest)
    if due_on > latest:
        raise Unprocessable(f"The answer may be due at the latest on {latest.isoformat()}.")
    if due_on < start.astimezone(CHINA).date():
        raise Unprocessable("The due day has passed already.")
    return end_of(due_on)


def may_request_reassignment(assigned_at: datetime, now: datetime) -> bool:
    return now < assigned_at + timedelta(days=REASSIGNMENT_DAYS)


def deadline_stages(due_at: datetime) -> list[tuple[str, datetime]]:
    """(stage, when): the reminder before the due time, the escalation to the office once it has passed."""
    return [("reminder", due_at - timedelta(days=REMINDER_DAYS)), ("escalation", due_at)]


def is_late(due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and now >= due_at
