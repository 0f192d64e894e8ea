"""Where a grid lies: statistics are counted by township and by village, so each grid of the projected tree
knows its township and its village (itself, for a township or a village)."""

from typing import TypedDict


class Place(TypedDict):
    township_id: str | None
    village_id: str | None


def place_in_tree(grid_id: str, level: str, parent: Place | None) -> Place:
    """The township and village of a grid, from its parent's (none known yet: none)."""
    return {
        "township_id": grid_id if level == "township" else (parent["township_id"] if parent else None),
        "village_id": grid_id if level == "village" else (parent["village_id"] if parent else None),
    }
