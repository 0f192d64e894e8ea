"""What a proposal may cite: grids of a village or below (its village is where the public page shows it), and
villagers' cases routed to the proposing deputy that are still evidence."""

from shared.messaging.catalogue import CLOSED_CASE_STATUSES

CITABLE_GRID_LEVELS = ("village", "group")
DEAD_CASE_STATUSES = tuple(sorted(CLOSED_CASE_STATUSES - {"closed"}))
"""Cases withdrawn, rejected or merged are no evidence; a closed case (handled, confirmed) still is."""


def village_of(grid_id: str, level: str, parent_id: str | None) -> str:
    """The village a citable grid lies in: a village is its own, a group's is its parent."""
    return grid_id if level == "village" else (parent_id or grid_id)


def routed_to(deputy_ids: str | None, deputy_id: str) -> bool:
    """Whether a case routed to `deputy_ids` (comma-separated; None: not known) is routed to `deputy_id`."""
    return bool(deputy_ids) and deputy_id in deputy_ids.split(",")
