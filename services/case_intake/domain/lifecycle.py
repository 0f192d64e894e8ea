"""The lifecycle as a transition table: which standing may take a case from which states to which, by what name.

Every change of status is planned here (403 for a standing that may never do it, 409 for a state it cannot be
done from) before logic writes the step on the timeline and stages the matching `case.case.*.v1` event.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from shared import i18n
from shared.errors import Conflict, Forbidden

if TYPE_CHECKING:
    from shared.auth import Principal
from shared.messaging.catalogue import (
    AWAITING_CONFIRMATION,
    CLOSED_CASE_STATUSES,
    CaseAccepted,
    CaseClosed,
    CaseDispatched,
    CaseEscalated,
    CaseMediationStarted,
    CaseMerged,
    CaseReferred,
    CaseRejected,
    CaseReopened,
    CaseResolved,
    CaseReturned,
    CaseStarted,
    CaseTransitioned,
    CaseWithdrawn,
)


class CaseStatus(StrEnum):
    submitted = "submitted"
    assigned = "assigned"
    accepted = "accepted"
    in_progress = "in_progress"
    referred = "referred"
    mediating = "mediating"
    resolved = "resolved"
    closed = "closed"
    returned = "returned"
    escalated = "escalated"
    reopened = "reopened"
    merged = "merged"
    withdrawn = "withdrawn"
    rejected = "rejected"


S = CaseStatus


class Actor(StrEnum):
    """How the caller stands to this case; the transition table is written in these terms."""

    filer = "filer"
    handler = "handler"
    staff = "staff"
    officer = "officer"
    system = "system"


PUBLIC_ROLE = {
    Actor.filer: "villager",
    Actor.handler: "deputy",
    Actor.staff: "office",
    Actor.officer: "agency",
    Actor.system: "system",
}

OPEN = frozenset(S) - CLOSED_CASE_STATUSES - {AWAITING_CONFIRMATION}
"""Still in someone's hands: neither closed (the catalogue's closed statuses) nor resolved and awaiting the
villager's word: submitted, assigned, accepted, in progress, referred, mediating, escalated, reopened, returned."""
ESCALATABLE = frozenset({S.assigned, S.accepted, S.in_progress, S.referred, S.mediating, S.reopened, S.escalated})
FINAL = frozenset({S.merged, S.withdrawn, S.rejected})
"""States nothing leaves. `closed` is left only when the office reopens a case (重办)."""
INTERNAL = frozenset({"note"})
"""Timeline steps for officials only: never shown to the villager, on the tracking-code view or to agencies."""


@dataclass(frozen=True)
class Rule:
    to: CaseStatus
    by: Mapping[Actor, frozenset[CaseStatus]]
    event: type[CaseTransitioned] | None
    verb: str


def _handlers_and_staff(*states: CaseStatus) -> dict[Actor, frozenset[CaseStatus]]:
    return {Actor.handler: frozenset(states), Actor.staff: frozenset(states)}


TRANSITIONS: dict[str, Rule] = {
    "route": Rule(S.assigned, {Actor.system: frozenset({S.submitted})}, None, "routed"),
    "dispatch": Rule(
        S.assigned, {Actor.staff: frozenset({S.submitted, S.returned, S.escalated})}, CaseDispatched, "dispatched"
    ),
    "accept": Rule(S.accepted, _handlers_and_staff(S.assigned, S.reopened, S.escalated), CaseAccepted, "accepted"),
    "start": Rule(S.in_progress, _handlers_and_staff(S.accepted, S.reopened, S.escalated), CaseStarted, "started"),
    "refer": Rule(
        S.referred, _handlers_and_staff(S.accepted, S.in_progress, S.mediating, S.escalated), CaseReferred, "referred"
    ),
    "accept_reply": Rule(S.in_progress, _handlers_and_staff(S.referred, S.escalated), CaseStarted, "given an answer"),
    "mediate": Rule(
        S.mediating, _handlers_and_staff(S.accepted, S.in_progress, S.escalated), CaseMediationStarted, "mediated"
    ),
    "resolve": Rule(
        S.resolved, _handlers_and_staff(S.accepted, S.in_progress, S.mediating, S.escalated), CaseResolved, "resolved"
    ),
    "confirm": Rule(
        S.closed, {Actor.filer: frozenset({S.resolved}), Actor.staff: frozenset({S.resolved})}, CaseClosed, "closed"
    ),
    "auto_close": Rule(S.closed, {Actor.system: frozenset({S.resolved})}, CaseClosed, "closed"),
    "reopen": Rule(
        S.reopened,
        {Actor.filer: frozenset({S.resolved}), Actor.staff: frozenset({S.resolved, S.closed})},
        CaseReopened,
        "reopened",
    ),
    "return": Rule(S.returned, {Actor.handler: frozenset({S.assigned, S.accepted})}, CaseReturned, "returned"),
    "escalate": Rule(
        S.escalated, {Actor.system: ESCALATABLE | {S.submitted}, Actor.staff: ESCALATABLE}, CaseEscalated, "escalated"
    ),
    "merge": Rule(S.merged, {Actor.staff: OPEN - {S.referred, S.mediating}}, CaseMerged, "merged"),
    "withdraw": Rule(S.withdrawn, {Actor.filer: OPEN, Actor.staff: OPEN}, CaseWithdrawn, "withdrawn"),
    "reject": Rule(
        S.rejected,
        {
            Actor.handler: frozenset({S.assigned, S.accepted, S.in_progress, S.escalated, S.reopened}),
            Actor.staff: frozenset(
                {S.submitted, S.assigned, S.accepted, S.in_progress, S.escalated, S.reopened, S.returned}
            ),
        },
        CaseRejected,
        "rejected",
    ),
}
VERB_OF = {
    "route": "route",
    "dispatch": "dispatch",
    "accept": "accept",
    "start": "start work on",
    "refer": "refer",
    "accept_reply": "accept an answer on",
    "mediate": "mediate",
    "resolve": "resolve",
    "confirm": "confirm",
    "auto_close": "close",
    "reopen": "reopen",
    "return": "return",
    "escalate": "escalate",
    "merge": "merge",
    "withdraw": "withdraw",
    "reject": "reject",
}


def plan(action: str, status: str, actors: Iterable[Actor]) -> tuple[CaseStatus, Actor]:
    """The state `action` leads to and the standing it is done in; 403 if no standing may, 409 if not from here."""
    rule = TRANSITIONS[action]
    standing = [actor for actor in rule.by if actor in set(actors)]
    if not standing:
        raise Forbidden("You may not {action} this case.", params={"action": i18n.code("do", action, VERB_OF[action])})
    for actor in standing:
        if status in rule.by[actor]:
            return rule.to, actor
    raise Conflict(
        "A case that is {status} cannot be {verb}.",
        params={"status": i18n.code("case", status), "verb": i18n.code("done", action, rule.verb)},
        current_status=status,
        action=action,
    )


# --- who is asking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """The caller's standing on one case (see logic.access.who): who they are and as what they act."""

    subject: str
    actors: frozenset[Actor]
    deputy_id: str | None = None
    principal: "Principal | None" = field(default=None, compare=False)
    """The signed-in account (roles, name, organisation), for the audit log; none for the system, a filer by key."""

    @property
    def sees_contact(self) -> bool:
        return bool(self.actors & {Actor.staff, Actor.handler, Actor.filer})


SYSTEM = Who("system", frozenset({Actor.system}))
ANONYMOUS_FILER = Who("anonymous-filer", frozenset({Actor.filer}))


def require(who: Who, *actors: Actor, doing: str) -> None:
    if not who.actors.intersection(actors):
        raise Forbidden("You may not {doing}.", params={"doing": doing})


def standing_for_note(who: Who, *preferred: Actor) -> Actor:
    """The standing a step that changes no status is written in: the first of `preferred` the caller has."""
    return next((actor for actor in preferred if actor in who.actors), Actor.system)
