"""funding.pool.*, funding.project.*, funding.ledger.*: micro-projects and their money (published by micro_funding)."""

from datetime import datetime

from shared.messaging.catalogue.base import EventPayload


class FundPoolCreated(EventPayload):
    """City finance created a year's fund pool for livelihood micro-projects; amounts are yuan strings ("1234.50")."""

    event_type = "funding.pool.created.v1"
    pool_id: str
    year: int
    name: str
    total: str
    service_cap: str
    goods_cap: str
    works_cap: str


class ProjectStepped(EventPayload):
    """Common shape of a micro-project (民生微实事) entering a stage; the concrete types below name the stage.

    `deputy_ids` proposed it; `case_ids` are the villagers' cases it answers; `budget` is yuan as a string;
    `note` is the public reason or remark, never personal data.
    """

    project_id: str
    pool_id: str
    kind: str
    title: str
    deputy_ids: list[str]
    grid_ids: list[str]
    village_ids: list[str]
    case_ids: list[str]
    budget: str
    from_status: str | None
    to_status: str
    at: datetime
    note: str = ""


class ProjectDrafted(ProjectStepped):
    event_type = "funding.project.drafted.v1"


class ProjectSubmitted(ProjectStepped):
    event_type = "funding.project.submitted.v1"


class ProjectScreened(ProjectStepped):
    event_type = "funding.project.screened.v1"


class ProjectDeliberated(ProjectStepped):
    event_type = "funding.project.deliberated.v1"


class ProjectNoticed(ProjectStepped):
    """The public notice started; objections are taken until the notice ends."""

    event_type = "funding.project.noticed.v1"


class ProjectReturned(ProjectStepped):
    """An objection was upheld: the project went back to its deputy's draft."""

    event_type = "funding.project.returned.v1"


class ProjectApproved(ProjectStepped):
    """Approved and funded: the budget was allocated from the pool (see funding.ledger.allocated.v1)."""

    event_type = "funding.project.approved.v1"


class ProjectStarted(ProjectStepped):
    event_type = "funding.project.started.v1"


class ProjectCompleted(ProjectStepped):
    """Accepted (验收): the project is delivered; `case_ids` name the villagers' cases it answered."""

    event_type = "funding.project.completed.v1"


class ProjectSubmittedV2(ProjectSubmitted):
    """A deputy submitted a proposal; `suggestion_id` is the deputies' suggestion (代表建议) it carries out, if it
    cites one. Replaces funding.project.submitted.v1 (whose payload forbids the new field): micro_funding
    publishes only v2; consumers read both while v1 messages are still on the stream."""

    event_type = "funding.project.submitted.v2"
    suggestion_id: str | None = None


class ProjectCompletedV2(ProjectCompleted):
    """Accepted (验收), as funding.project.completed.v1, with the deputies' suggestion it carried out, if any
    (`suggestion_id`): the deputy service shows the completion on the suggestion."""

    event_type = "funding.project.completed.v2"
    suggestion_id: str | None = None


class ProjectEvaluated(ProjectStepped):
    event_type = "funding.project.evaluated.v1"


class ProjectPublished(ProjectStepped):
    event_type = "funding.project.published.v1"


class ProjectRejected(ProjectStepped):
    event_type = "funding.project.rejected.v1"


class ProjectWithdrawn(ProjectStepped):
    event_type = "funding.project.withdrawn.v1"


class ProjectProgressed(EventPayload):
    """A monthly progress report of a project in progress (0-100 %)."""

    event_type = "funding.project.progressed.v1"
    project_id: str
    pool_id: str
    village_ids: list[str]
    month: str
    percent: int
    at: datetime


class ObjectionRaised(EventPayload):
    """Someone objected to a project during its public notice; the NPC office rules on it. Ids only: the objector
    and the words stay in micro_funding."""

    event_type = "funding.objection.raised.v1"
    objection_id: str
    project_id: str
    at: datetime


class LedgerPosted(EventPayload):
    """Common shape of an entry in a fund pool's append-only ledger; amounts are yuan strings ("1234.50").

    `pool_available` and `project_balance` are the balances right after the entry; `seq` orders a pool's entries.
    """

    entry_id: str
    seq: int
    pool_id: str
    project_id: str | None
    amount: str
    pool_available: str
    project_balance: str | None
    at: datetime


class LedgerAppropriated(LedgerPosted):
    event_type = "funding.ledger.appropriated.v1"


class LedgerAllocated(LedgerPosted):
    event_type = "funding.ledger.allocated.v1"


class LedgerDisbursed(LedgerPosted):
    event_type = "funding.ledger.disbursed.v1"


class LedgerReleased(LedgerPosted):
    event_type = "funding.ledger.released.v1"


FUNDING_EVENTS: tuple[type[EventPayload], ...] = (
    FundPoolCreated,
    ProjectDrafted,
    ProjectSubmitted,
    ProjectSubmittedV2,
    ProjectScreened,
    ProjectDeliberated,
    ProjectNoticed,
    ProjectReturned,
    ProjectApproved,
    ProjectStarted,
    ProjectCompleted,
    ProjectCompletedV2,
    ProjectEvaluated,
    ProjectPublished,
    ProjectRejected,
    ProjectWithdrawn,
    ProjectProgressed,
    ObjectionRaised,
    LedgerAppropriated,
    LedgerAllocated,
    LedgerDisbursed,
    LedgerReleased,
)
