"""The reference figures: facts counted per place (visitors by how many were received, every other metric by
the facts), households supported added, and the places' rows summed into the total."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

METRICS = ("suggestions", "disputes_mediated", "livelihood_matters", "visitors", "issues_resolved")
FIGURES = (*METRICS, "households_supported")

Figures = dict[str, int]


def empty() -> Figures:
    return {name: 0 for name in FIGURES}


def tally(
    facts: Iterable[tuple[Any, str, int, int | None]], households: Iterable[tuple[Any, int]]
) -> dict[str | None, Figures]:
    """Rows of (place, metric, facts, quantity) and (place, households) as the figures of each place."""
    rows: dict[str | None, Figures] = defaultdict(empty)
    for key, metric, count, quantity in facts:
        rows[key][metric] += int(quantity or 0) if metric == "visitors" else int(count)
    for key, count in households:
        rows[key]["households_supported"] += int(count)
    return rows


def total(rows: Mapping[str | None, Figures]) -> Figures:
    summed = empty()
    for figures in rows.values():
        for name, value in figures.items():
            summed[name] += value
    return summed


def shaped(grid_id: str | None, name: str | None, figures: Figures) -> dict[str, Any]:
    """One row of the published figures (visitors are published as visitors received)."""
    return {
        "grid_id": grid_id,
        "grid_name": name,
        "suggestions": figures["suggestions"],
        "disputes_mediated": figures["disputes_mediated"],
        "households_supported": figures["households_supported"],
        "livelihood_matters": figures["livelihood_matters"],
        "visitors_received": figures["visitors"],
        "issues_resolved": figures["issues_resolved"],
    }


Place = tuple[str, str | None, str | None]
"""A grid's (level, township id, village id), as the projected tree knows them."""


def roll_up(per_grid: Mapping[str | None, Figures], places: Mapping[str, Place]) -> dict[str, Figures]:
    """The figures of every township, village and group: a grid's own facts and those of every grid below it
    (a fact counted at a group counts for its village and its township too, once each)."""
    rolled: dict[str, Figures] = defaultdict(empty)
    for grid_id, counted in per_grid.items():
        place = places.get(grid_id) if grid_id else None
        if place is None:
            continue
        _, township_id, village_id = place
        for target in {grid_id, township_id, village_id} - {None}:
            for name, value in counted.items():
                rolled[target][name] += value
    return rolled
