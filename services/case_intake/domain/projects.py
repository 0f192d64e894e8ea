"""What a villager hears of the livelihood micro-project (民生微实事) that took their case in: which of micro-funding's
project steps, in what words, and from when the project's public page may be linked."""

from shared.messaging.catalogue import (
    ProjectApproved,
    ProjectCompleted,
    ProjectCompletedV2,
    ProjectNoticed,
    ProjectRejected,
    ProjectStarted,
    ProjectSubmitted,
    ProjectSubmittedV2,
    ProjectWithdrawn,
)

SHOWN_STEPS = (
    ProjectSubmitted,
    ProjectSubmittedV2,  # v2 names the suggestion it answers; micro_funding publishes v2 only
    ProjectNoticed,
    ProjectApproved,
    ProjectStarted,
    ProjectCompleted,
    ProjectCompletedV2,
    ProjectRejected,
    ProjectWithdrawn,
)
"""The funding.project.* events case intake reads (their `to_status` are the SHOWN_STAGES)."""
SHOWN_STAGES = frozenset({"submitted", "in_notice", "funded", "in_progress", "accepted", "rejected", "withdrawn"})
"""The stages the filer hears of: proposed, in public notice, approved and funded, under way, completed (验收),
and the two ends that mean it will not happen. A draft, the office's screening and deliberation are not news."""
ENDINGS = frozenset({"rejected", "withdrawn"})
"""Stages heard of only by a case that heard the project proposed."""
PUBLIC_STAGES = frozenset({"in_notice", "funded", "in_progress", "accepted", "evaluated", "published"})
"""A project's public page shows it from its public notice on (micro-funding's public views)."""
STAGE_WORDS = {
    "submitted": "proposed",
    "in_notice": "in public notice",
    "funded": "approved and funded",
    "in_progress": "under way",
    "accepted": "completed",
    "rejected": "not approved",
    "withdrawn": "withdrawn",
}


def public_path(project_id: str, stage: str | None) -> str | None:
    """The PWA's public page of a project, once the public may read it."""
    return f"/project/{project_id}" if stage in PUBLIC_STAGES else None
