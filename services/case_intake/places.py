"""Filing at a point: the grid service tells which group grid holds it (or has the nearest centre), and where a
grid named with a point lies."""

import math
from dataclasses import dataclass

import httpx

from shared.errors import ServiceUnavailable, Unprocessable

GRID_AWAY = "The grid service is not answering; the case was not filed. Send it again shortly."
EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Placed:
    grid_id: str
    method: str
    distance_m: float


class GridLocator:
    """Asks the grid service's GET /resolve (and GET /grids/{id}), on one pooled HTTP client with a short
    timeout."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds)

    async def _get(self, path: str, **params: float) -> httpx.Response:
        try:
            return await self.client.get(path, params=params)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(GRID_AWAY) from error

    async def resolve(self, lat: float, lon: float, max_distance_m: float) -> Placed:
        """The group grid of the point; 503 when the grid service cannot say, 422 when no grid is near."""
        answer = await self._get("/resolve", lat=lat, lon=lon)
        if answer.status_code == 404:
            raise Unprocessable("No grid is known at this place yet: choose the grid.", field="location")
        if answer.status_code != 200:
            raise ServiceUnavailable(GRID_AWAY)
        found = answer.json()
        placed = Placed(found["grid"]["id"], found["method"], float(found["distance_m"]))
        if placed.distance_m > max_distance_m:
            raise Unprocessable("The place is outside every grid of this city: choose the grid.", field="location")
        return placed

    async def check_near(self, grid_id: str, lat: float, lon: float, max_distance_m: float) -> None:
        """A point sent with a grid lies in it (the grid service places it there) or within `max_distance_m` of
        its centre; else 422, so that a point 1,300 km away is never stored on a case."""
        if (await self.resolve(lat, lon, max_distance_m)).grid_id == grid_id:
            return
        answer = await self._get(f"/grids/{grid_id}")
        if answer.status_code == 404:
            raise Unprocessable("No such grid.", field="grid_id")
        if answer.status_code != 200:
            raise ServiceUnavailable(GRID_AWAY)
        grid = answer.json()
        lat0, lon0 = grid.get("centre_lat"), grid.get("centre_lon")
        if lat0 is None or lon0 is None or distance_m(lat, lon, lat0, lon0) > max_distance_m:
            raise Unprocessable(
                "The place is not in or near the chosen grid: check the grid or the point.", field="location"
            )

    async def close(self) -> None:
        await self.client.aclose()
