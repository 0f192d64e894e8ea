"""`GET /me/data`: the caller's part of the download of everything kept about them (the gateway's /api/me/data)."""

from fastapi import APIRouter

from services.station_scheduling.schemas import StationPersonalData
from services.station_scheduling.views.personal import personal_data
from shared.auth import CurrentPrincipal
from shared.problems import responses
from shared.service import SessionDep

router = APIRouter(tags=["station"])


@router.get(
    "/me/data",
    operation_id="station-scheduling-me-data",
    response_model=StationPersonalData,
    responses=responses(401),
    summary="What the station service keeps about me",
)
async def my_data(db: SessionDep, principal: CurrentPrincipal) -> StationPersonalData:
    """Every booking made under the caller's account, with its session's public facts; any signed-in account."""
    return await personal_data(db, principal.subject)
