"""The three-level tree (乡镇 / 村社 / 村小组): which level hangs under which, what kind a grid may be, which of
its fields a change may touch, and what the history calls a change."""

from services.grid.domain import names
from shared.errors import Unprocessable

PARENT_LEVEL: dict[str, str | None] = {"township": None, "village": "township", "group": "village"}
LEVEL_ORDER = {"township": 0, "village": 1, "group": 2}
"""Search results list townships first, then villages, then groups."""

CHANGEABLE = [
    "name",
    "kind",
    "parent_id",
    "district",
    "population",
    "households",
    "boundary",
    "centre_lat",
    "centre_lon",
]
"""The fields a change may touch, in the order the history and the grid changed event list them."""
GEOMETRY = {"boundary", "centre_lat", "centre_lon"}
"""A change of these in a group grid moves the point index."""


def check_parent(level: str, parent_level: str | None, parent_active: bool = True) -> None:
    """A township has no parent, a village a township, a group a village; and the parent must be active."""
    expected = PARENT_LEVEL[level]
    if parent_level != expected:
        raise Unprocessable(
            "A {level} grid must have a {value} parent.",
            params={"level": level, "value": expected or "no"},
            rule="grid.parent_level",
        )
    if not parent_active:
        raise Unprocessable("The parent grid is retired.", rule="grid.parent_retired")


def check_kind(level: str, kind: str | None, name: str) -> str:
    """The kind asked for, if the level allows it; none asked: the kind the name's suffix says."""
    if kind is None:
        return names.default_kind(level, name)
    if kind not in names.KINDS[level]:
        raise Unprocessable(
            "A {level} grid is one of: {value}.",
            params={"level": level, "value": ", ".join(names.KINDS[level])},
            rule="grid.kind",
        )
    return kind


def kind_after_rename(level: str, kind: str, old_name: str, new_name: str) -> str:
    """A kind that followed the old name follows the new one; a kind set by hand survives a rename."""
    return names.default_kind(level, new_name) if kind == names.default_kind(level, old_name) else kind


def change_action(changed: list[str]) -> str:
    """What the history calls a change: moved (a new parent), renamed (name and kind only) or updated."""
    if "parent_id" in changed:
        return "moved"
    return "renamed" if changed == ["name"] or set(changed) == {"name", "kind"} else "updated"
