"""What goes on the record of duty (履职档案) and what it counts towards.

Every activity carries one or more of the five roles (五员) — by default the kind's; an entry or an event may
count towards a statistic (`metric`) and evidence one of the year's five ones. A record names the fact behind
it (`fact_key`), so that three mediators of one dispute make one dispute mediated.

The record of duty is public (what, when and in which grid): a record from a villager's case or a station visit
says what in its category alone — never the tracking code (which opens the case's tracking view and photos), the
case or what the villager said, which are kept for the deputy, the office and station staff (`case_id`, `notes`).
"""

from shared.messaging.catalogue import (
    CaseAccepted,
    CaseReferred,
    CaseResolved,
    CaseTransitioned,
    ProjectCompleted,
    ProjectCompletedV2,
    ProjectStepped,
    ProjectSubmitted,
    ProjectSubmittedV2,
)
from shared.privacy import redact

DEFAULT_ROLES = {
    "field_visit": ["informant"],
    "inspection": ["supervisor"],
    "research": ["supervisor"],
    "suggestion": ["supervisor", "informant"],
    "livelihood_matter": ["servant"],
    "reception": ["informant", "servant"],
    "publicity": ["publicist"],
    "other": ["servant"],
    "household_visit": ["servant"],
    "case_accepted": ["informant"],
    "case_referred": ["supervisor"],
    "case_resolved": ["servant"],
    "dispute_mediated": ["mediator"],
    "reception_held": ["informant", "servant"],
    "visitor_received": ["informant"],
    "project_proposed": ["informant", "servant"],
    "project_completed": ["servant", "supervisor"],
}
ENTRY_METRIC = {"livelihood_matter": "livelihood_matters", "reception": "visitors"}
"""The statistic a deputy's own entry counts towards (reception duty: by the visitors received). A suggestion
counts once the NPC office accepted it (logic.suggestions.credit), never as an entry the deputy writes."""
ENTRY_FIVE_ONE = {
    "inspection": "inspection",
    "research": "inspection",
    "livelihood_matter": "livelihood",
}
"""The five one a deputy's own entry evidences (a household visit evidences 'household')."""
VISITS = {"field_visit", "inspection", "research", "household_visit"}
"""Entries published as a deputy visit logged (without notes)."""
PROJECT_STEPS = (ProjectSubmitted, ProjectCompleted, ProjectSubmittedV2, ProjectCompletedV2)
"""The micro-project steps that go on the record: proposed (submitted) and completed (accepted, 验收); v2 also
names the suggestion the project carries out (v1 is still read while its messages are on the stream)."""

Counted = tuple[str, str | None, str | None]
"""(kind of record, the statistic it counts towards, the five one it evidences)."""


def from_transition(payload: CaseTransitioned) -> Counted | None:
    """What a case's step puts on the record: accepting, referring and resolving; other steps nothing."""
    if isinstance(payload, CaseAccepted):
        return "case_accepted", None, None
    if isinstance(payload, CaseReferred):
        return "case_referred", None, None
    if isinstance(payload, CaseResolved):
        return "case_resolved", "issues_resolved", "dispute" if payload.kind == "dispute" else "livelihood"
    return None


def transition_roles(payload: CaseTransitioned, kind: str) -> list[str] | None:
    """A dispute resolved was mediated (mediator); otherwise the kind's default roles (None)."""
    return DEFAULT_ROLES["dispute_mediated"] if payload.kind == "dispute" and kind == "case_resolved" else None


def actors(payload: CaseTransitioned) -> list[str]:
    """The deputies a case's step is on the record of: the one who acted, else every routed deputy."""
    return [payload.actor_deputy_id] if payload.actor_deputy_id else list(payload.deputy_ids)


def from_project_step(payload: ProjectStepped) -> Counted:
    """A project proposed counts towards nothing yet; completed it is a livelihood matter done."""
    if isinstance(payload, ProjectCompleted):
        return "project_completed", "livelihood_matters", "livelihood"
    return "project_proposed", None, None


HIDDEN_FROM_THE_PUBLIC = frozenset({"household_visit"})
"""Kinds whose summary the public never reads: a visit to a supported household may name the family."""


def public_summary(kind: str, summary: str) -> str:
    """What the public reads of a record's summary: nothing of a household visit; of any other, the summary with
    phone and identity numbers (and an old tracking code's digits) masked."""
    return "" if kind in HIDDEN_FROM_THE_PUBLIC else redact(summary)
