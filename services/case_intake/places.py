"""Filing at a point: the grid service tells which group grid holds it (or has the nearest centre)."""

from dataclasses import dataclass

import httpx

from shared.errors import ServiceUnavailable, Unprocessable

GRID_AWAY = "The grid service is not answering; the case was not filed. Send it again shortly."


@dataclass(frozen=True)
class Placed:
    grid_id: str
    method: str
    distance_m: float


class GridLocator:
    """Asks the grid service's GET /resolve, on one pooled HTTP client with a short timeout."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds)

    async def resolve(self, lat: float, lon: float, max_distance_m: float) -> Placed:
        """The group grid of the point; 503 when the grid service cannot say, 422 when no grid is near."""
        try:
            answer = await self.client.get("/resolve", params={"lat": lat, "lon": lon})
        except httpx.HTTPError as error:
            raise ServiceUnavailable(GRID_AWAY) from error
        if answer.status_code == 404:
            raise Unprocessable("No grid is known at this place yet: choose the grid.", field="location")
        if answer.status_code != 200:
            raise ServiceUnavailable(GRID_AWAY)
        found = answer.json()
        placed = Placed(found["grid"]["id"], found["method"], float(found["distance_m"]))
        if placed.distance_m > max_distance_m:
            raise Unprocessable("The place is outside every grid of this city: choose the grid.", field="location")
        return placed

    async def close(self) -> None:
        await self.client.aclose()
