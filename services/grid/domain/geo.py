"""Boundaries and points: GeoJSON in, shapely geometry and an STRtree index for point → group grid.

Coordinates are GeoJSON's: x = longitude, y = latitude (WGS 84). A point on the edge shared by two grids
belongs to both; the index then answers with the first in code order, so the answer is always the same.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

EARTH_RADIUS_M = 6_371_008.8
EDGE_TOLERANCE_DEG = 1e-7
"""About a centimetre: a point this close to a boundary counts as on it (floating point noise)."""


class BoundaryError(ValueError):
    """A boundary that is not a valid polygon (self-intersecting, too few distinct points, ...)."""


def boundary_geometry(geojson: dict) -> BaseGeometry:
    """A valid shapely (Multi)Polygon from a GeoJSON geometry, or BoundaryError saying what is wrong."""
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        raise BoundaryError(f"not a polygon: {error}") from error
    if geometry.is_empty or not geometry.is_valid or geometry.area <= 0:
        raise BoundaryError(f"not a valid polygon: {explain_validity(geometry)}")
    return geometry


def boundary_text(geometry: BaseGeometry) -> str:
    """The stored form: GeoJSON with closed rings and plain lists."""
    return json.dumps(json.loads(json.dumps(mapping(geometry))), separators=(",", ":"))


def load_boundary(text: str | None) -> BaseGeometry | None:
    return shape(json.loads(text)) if text else None


def load_boundaries(texts: Sequence[str | None]) -> list[BaseGeometry | None]:
    """Many stored boundaries at once (GEOS reads the GeoJSON: ten times faster than one by one)."""
    present = [index for index, text in enumerate(texts) if text]
    geometries: list[BaseGeometry | None] = [None] * len(texts)
    for index, geometry in zip(present, shapely.from_geojson([texts[i] for i in present]), strict=True):
        geometries[index] = geometry
    return geometries


def inner_centre(geometry: BaseGeometry) -> tuple[float, float]:
    """(lat, lon) of the centroid if it lies inside, else of a point surely inside (concave shapes)."""
    point = geometry.centroid
    if not geometry.covers(point):
        point = geometry.representative_point()
    return point.y, point.x


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_many(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances in metres from one point to many (vectorised)."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass(frozen=True)
class IndexedGrid:
    grid_id: str
    centre: tuple[float, float] | None  # (lat, lon)
    boundary: BaseGeometry | None


@dataclass(frozen=True)
class Located:
    grid_id: str
    method: str  # boundary | nearest_centre
    distance_m: float


class GridLocator:
    """Point → grid over the group grids' boundaries, and the nearest centre when no boundary holds the point.

    Give the grids in the order that should win on a shared edge (code order). Nearest-centre search runs on
    longitudes scaled by cos(mean latitude), which is exact enough inside a city or a province.
    """

    def __init__(self, grids: Sequence[IndexedGrid]) -> None:
        shaped = [grid for grid in grids if grid.boundary is not None]
        self.shape_ids = [grid.grid_id for grid in shaped]
        self.shapes = np.array([grid.boundary for grid in shaped], dtype=object)
        self.shape_tree = STRtree(self.shapes) if shaped else None
        centred = [grid for grid in grids if grid.centre is not None]
        self.centres = [grid.centre for grid in centred]
        self.centre_ids = [grid.grid_id for grid in centred]
        self.scale = math.cos(math.radians(sum(lat for lat, _ in self.centres) / len(self.centres))) if centred else 1
        points = [Point(lon * self.scale, lat) for lat, lon in self.centres]
        self.centre_tree = STRtree(points) if points else None

    def __len__(self) -> int:
        return max(len(self.shape_ids), len(self.centre_ids))

    def locate(self, lat: float, lon: float) -> Located | None:
        return self._inside(lat, lon) or self._nearest(lat, lon)

    def _inside(self, lat: float, lon: float) -> Located | None:
        if self.shape_tree is None:
            return None
        point = Point(lon, lat)
        hits = self.shape_tree.query(point, predicate="dwithin", distance=EDGE_TOLERANCE_DEG)
        if len(hits) == 0:
            return None
        if len(hits) > 1:
            exact = hits[shapely.intersects(self.shapes[hits], point)]
            hits = exact if len(exact) else hits
        return Located(self.shape_ids[int(hits.min())], "boundary", 0.0)

    def _nearest(self, lat: float, lon: float) -> Located | None:
        if self.centre_tree is None:
            return None
        index = int(self.centre_tree.nearest(Point(lon * self.scale, lat)))
        c_lat, c_lon = self.centres[index]
        return Located(self.centre_ids[index], "nearest_centre", round(haversine_m(lat, lon, c_lat, c_lon), 1))
