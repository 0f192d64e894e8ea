"""case.case.*, case.dispute.*, case.referral.*: the case lifecycle (published by case_intake)."""

from datetime import datetime

from shared.messaging.catalogue.base import EventPayload

CLOSED_CASE_STATUSES = frozenset({"closed", "withdrawn", "rejected", "merged"})
"""Case statuses no one works on any more: no transition leads on but a reopening (closed). Every service that
counts open work (a grid's open cases, a deputy's inbox, Open311's `status`) uses this one set."""
AWAITING_CONFIRMATION = "resolved"
"""A resolved case waits for the villager to confirm it (closed) or say it is not solved (reopened): open for
the grid and the statistics, but off the deputy's hands until the villager answers."""


class CaseSubmitted(EventPayload):
    event_type = "case.case.submitted.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    channel: str
    summary: str
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    urgent: bool = False
    """A safety hazard: its deadlines run in clock hours (2 to accept, 24 to resolve)."""


class CaseAssigned(EventPayload):
    """A case waiting for a deputy got one: its grid had none when it was filed."""

    event_type = "case.case.assigned.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    summary: str
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    urgent: bool = False


class CaseSubmittedV2(EventPayload):
    """A case was filed: what, when and which grid, never the villager's words (v1's `summary` is gone), and
    whether it may be shown in public (`public`: a private case's id belongs on no public view either).

    `tracking_code` opens the case's tracking view and its photos: show it only to those who may read the case
    (the deputies it is routed to, station staff), never on a public page, a record of duty or a webhook."""

    event_type = "case.case.submitted.v2"
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    channel: str
    public: bool
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    urgent: bool = False


class CaseAssignedV2(EventPayload):
    """A case waiting for a deputy got one (or the office dispatched it): as case.case.submitted.v2, without the
    villager's words."""

    event_type = "case.case.assigned.v2"
    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    public: bool
    submitted_at: datetime
    accept_due_at: datetime
    assigned_deputy_ids: list[str]
    urgent: bool = False


class CaseTransitioned(EventPayload):
    """Common shape of a case's step from one state to another; the concrete types below name the step.

    `deputy_ids` are the deputies the case is routed to; `note` is the public reason, never personal data.
    """

    case_id: str
    tracking_code: str
    grid_id: str
    kind: str
    category: str
    from_status: str
    to_status: str
    deputy_ids: list[str]
    actor_deputy_id: str | None = None
    at: datetime
    note: str = ""
    organisation: str | None = None
    due_at: datetime | None = None
    rating: str | None = None
    into_case_id: str | None = None


class CaseAccepted(CaseTransitioned):
    event_type = "case.case.accepted.v1"


class CaseStarted(CaseTransitioned):
    event_type = "case.case.started.v1"


class CaseReferred(CaseTransitioned):
    event_type = "case.case.referred.v1"


class CaseMediationStarted(CaseTransitioned):
    event_type = "case.case.mediating.v1"


class CaseResolved(CaseTransitioned):
    event_type = "case.case.resolved.v1"


class CaseClosed(CaseTransitioned):
    event_type = "case.case.closed.v1"


class CaseReopened(CaseTransitioned):
    event_type = "case.case.reopened.v1"


class CaseEscalated(CaseTransitioned):
    event_type = "case.case.escalated.v1"


class CaseReturned(CaseTransitioned):
    event_type = "case.case.returned.v1"


class CaseMerged(CaseTransitioned):
    event_type = "case.case.merged.v1"


class CaseWithdrawn(CaseTransitioned):
    event_type = "case.case.withdrawn.v1"


class CaseRejected(CaseTransitioned):
    event_type = "case.case.rejected.v1"


class CaseDispatched(CaseTransitioned):
    """The office sent a returned, escalated or unrouted case on: `deputy_ids` are the deputies it has now (those
    it left are no longer routed to it), `due_at` their deadline to accept. case.case.assigned.v2 follows, for the
    deputies it reached; this step is what tells every copy that the case left the others, by its time."""

    event_type = "case.case.dispatched.v1"


class DisputeMediated(EventPayload):
    """A mediation session of a dispute was held (人民调解), with or without an agreement."""

    event_type = "case.dispute.mediated.v1"
    case_id: str
    grid_id: str
    mediator_deputy_ids: list[str]
    agreement_reached: bool
    at: datetime


class CaseReminded(EventPayload):
    """A deadline of a case is near (stage `reminder`) or was missed (stage `chase`, 催办).

    `deadline` is accept, resolve or referral; those who must act are named by id (deputies, organisation).
    """

    event_type = "case.case.reminded.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    deadline: str
    stage: str
    due_at: datetime
    deputy_ids: list[str]
    organisation: str | None = None
    at: datetime


class CaseSupported(EventPayload):
    """Villagers said "me too" about a case, or a merged duplicate's supporters joined it; `supporters` is the total."""

    event_type = "case.case.supported.v1"
    case_id: str
    grid_id: str
    supporters: int
    at: datetime


class CaseNoted(EventPayload):
    """A deputy handling the case or the office wrote an internal note on its timeline; the words stay in the
    case service (officials read them there), so the event names who and when only."""

    event_type = "case.case.noted.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    deputy_ids: list[str]
    actor_deputy_id: str | None = None
    at: datetime


class ReferralAnswered(EventPayload):
    """The organisation a case was referred to (四方联动) answered; the deputies accept the answer or send it back."""

    event_type = "case.referral.answered.v1"
    referral_id: str
    case_id: str
    grid_id: str
    organisation: str
    deputy_ids: list[str]
    at: datetime


class ReferralReturned(EventPayload):
    """A deputy sent an organisation's answer back for more work, with a new due date and a public reason."""

    event_type = "case.referral.returned.v1"
    referral_id: str
    case_id: str
    grid_id: str
    organisation: str
    deputy_ids: list[str]
    due_at: datetime
    note: str = ""
    at: datetime


CASE_TRANSITIONS: tuple[type[CaseTransitioned], ...] = (
    CaseAccepted,
    CaseStarted,
    CaseReferred,
    CaseMediationStarted,
    CaseResolved,
    CaseClosed,
    CaseReopened,
    CaseEscalated,
    CaseReturned,
    CaseMerged,
    CaseWithdrawn,
    CaseRejected,
    CaseDispatched,
)
