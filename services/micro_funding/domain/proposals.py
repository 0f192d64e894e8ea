"""What a proposal may cite: grids of a village or below (its village is where the public page shows it), and
villagers' cases that are still evidence."""

from shared.messaging.catalogue import CLOSED_CASE_STATUSES

CITABLE_GRID_LEVELS = ("village", "group")
DEAD_CASE_STATUSES = tuple(sorted(CLOSED_CASE_STATUSES - {"closed"}))
"""Cases withdrawn, rejected or merged are no evidence; a closed case (handled, confirmed) still is."""


def village_of(grid_id: str, level: str, parent_id: str | None) -> str:
    """The village a citable grid lies in: a village is its own, a group's is its parent."""
    return grid_id if level == "village" else (parent_id or grid_id)
