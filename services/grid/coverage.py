"""Who should answer for an uncovered grid (定格定责): a deputy of the same electoral district first, then the
nearest by home, the less loaded first among equals. Pure ranking over arrays: no database here."""

from dataclasses import dataclass

import numpy as np

from services.grid.geo import haversine_many


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
