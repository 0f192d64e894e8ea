"""Whose turn it is: a rota's sessions rotate the deputies of a station's grids, round-robin.

A station serves some grids (and everything under them); the deputies assigned to those grids form its
default pool. Both the rotation and the grid-tree walk are plain functions over data already loaded.
"""

from dataclasses import dataclass, field

MAX_DEPTH = 8


@dataclass
class Rotation:
    """The pool in rotation order, the deputies linked to the station, and how many sessions each one took."""

    pool: list[str]
    linked: set[str]
    served: dict[str, int] = field(default_factory=dict)

    def next(self, per_session: int, busy: set[str]) -> list[str] | None:
        return pick(self.pool, per_session, self.served, busy)

    def took(self, deputies: list[str]) -> None:
        for deputy in deputies:
            self.served[deputy] = self.served.get(deputy, 0) + 1


def pick(pool: list[str], per_session: int, served: dict[str, int], busy: set[str]) -> list[str] | None:
    """The next `per_session` deputies of a rotation: the free ones who served least, then in pool order.

    Counting each deputy's sessions in `served` makes this a plain round-robin over the pool; a busy deputy's
    turn passes to the next one and comes back next time. None when too few deputies are free.
    """
    free = [deputy for deputy in pool if deputy not in busy]
    if len(free) < per_session:
        return None
    chosen = sorted(free, key=lambda deputy: (served.get(deputy, 0), pool.index(deputy)))[:per_session]
    return sorted(chosen, key=pool.index)


def within(grid_id: str, roots: set[str], parents: dict[str, str | None]) -> bool:
    """Whether a grid is one of `roots` or lies under one of them."""
    current: str | None = grid_id
    for _ in range(MAX_DEPTH):
        if current is None:
            return False
        if current in roots:
            return True
        current = parents.get(current)
    return False
