"""Who should answer for an uncovered grid (定格定责): a deputy of the same electoral district first, then the
nearest by home, the less loaded first among equals. Pure ranking over arrays: no database here.

A grid without its own district or centre takes its nearest ancestor's (a group drawn without a boundary still
lies in its village)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from services.grid.domain.geo import haversine_many


class TreeNode(Protocol):
    """What the coverage rules read of a grid."""

    @property
    def parent_id(self) -> str | None: ...
    @property
    def district(self) -> str | None: ...
    @property
    def centre_lat(self) -> float | None: ...
    @property
    def centre_lon(self) -> float | None: ...


def _lineage(grid: TreeNode, ancestors: Mapping[str, TreeNode]) -> list[TreeNode]:
    chain: list[TreeNode] = []
    current: TreeNode | None = grid
    while current is not None:
        chain.append(current)
        current = ancestors.get(current.parent_id) if current.parent_id else None
    return chain


def effective_district(grid: TreeNode, ancestors: Mapping[str, TreeNode]) -> str | None:
    """The grid's electoral district, or its nearest ancestor's."""
    return next((node.district for node in _lineage(grid, ancestors) if node.district), None)


def effective_centre(grid: TreeNode, ancestors: Mapping[str, TreeNode]) -> tuple[float, float] | None:
    """(lat, lon) of the grid's centre, or of its nearest ancestor's."""
    for node in _lineage(grid, ancestors):
        if node.centre_lat is not None and node.centre_lon is not None:
            return node.centre_lat, node.centre_lon
    return None


@dataclass(frozen=True)
class Candidate:
    deputy_id: str
    code: str
    name: str
    district: str
    home: tuple[float, float] | None  # (lat, lon) of the home grid's centre
    load: int  # active assignments


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    reason: str  # same_district | nearest
    distance_m: float | None


class CandidatePool:
    """Active deputies as arrays, so that ranking them for one grid is a few vector operations."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = sorted(candidates, key=lambda item: item.code)
        self.districts = np.array([item.district for item in self.candidates], dtype=object)
        self.lats = np.array([item.home[0] if item.home else np.nan for item in self.candidates], dtype=float)
        self.lons = np.array([item.home[1] if item.home else np.nan for item in self.candidates], dtype=float)
        self.loads = np.array([item.load for item in self.candidates], dtype=float)

    def rank(self, district: str | None, centre: tuple[float, float] | None, limit: int = 3) -> list[Ranked]:
        if not self.candidates:
            return []
        same = self.districts == district if district else np.zeros(len(self.candidates), dtype=bool)
        distance = haversine_many(centre[0], centre[1], self.lats, self.lons) if centre else np.full(len(same), np.nan)
        unknown = np.isnan(distance)
        order = np.lexsort((np.arange(len(same)), self.loads, np.where(unknown, np.inf, distance), unknown, ~same))
        return [self._ranked(int(index), bool(same[index]), distance[index]) for index in order[:limit]]

    def _ranked(self, index: int, same: bool, distance: float) -> Ranked:
        metres = None if np.isnan(distance) else round(float(distance), 1)
        return Ranked(self.candidates[index], "same_district" if same else "nearest", metres)
