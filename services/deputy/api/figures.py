"""The five ones (五个一) of a deputy and the deputies behind on them; the statistics of a place."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.deputy.api.access import OFFICE_OR_STAFF, require_self_or
from services.deputy.logic.deputies import get_deputy
from services.deputy.schemas import BehindPage, FiveOnes, Statistics
from services.deputy.views import five_ones as five_ones_views
from services.deputy.views import statistics as statistics_views
from shared.auth import CurrentPrincipal
from shared.pagination import PageDep
from shared.problems import responses
from shared.service import SessionDep
from shared.types import CivilDate, EntityId

router = APIRouter(tags=["deputy"])
Year = Annotated[int, Query(ge=2000, le=2100, description="The year (China time)")]


@router.get(
    "/deputies/{deputy_id}/five-ones",
    operation_id="deputy-five-ones",
    response_model=FiveOnes,
    responses=responses(401, 403, 404, 422),
)
async def five_ones(deputy_id: EntityId, year: Year, session: SessionDep, principal: CurrentPrincipal) -> FiveOnes:
    """The year's five ones (五个一): each done or not, with the records behind it."""
    require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)
    await get_deputy(session, deputy_id)
    return await five_ones_views.five_ones(session, deputy_id, year)


@router.get(
    "/five-ones/behind",
    operation_id="deputy-five-ones-behind",
    response_model=BehindPage,
    responses=responses(401, 403, 422),
)
async def behind(
    year: Year,
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    township_id: Annotated[EntityId | None, Query(description="Deputies living in this township")] = None,
) -> BehindPage:
    """Active deputies who have not yet done all five ones in the year, the furthest behind first."""
    principal.require(*OFFICE_OR_STAFF)
    return await five_ones_views.behind(session, year, page, township_id=township_id)


@router.get("/statistics", operation_id="deputy-statistics", response_model=Statistics, responses=responses(404, 422))
async def statistics(
    session: SessionDep,
    date_from: CivilDate,
    date_to: CivilDate,
    grid_id: Annotated[EntityId | None, Query(description="A township or village; none: the whole city")] = None,
) -> Statistics:
    """Suggestions, disputes mediated, households supported, livelihood matters, visitors received and issues
    resolved in a date range (both days included, China time), broken down one level lower."""
    return await statistics_views.statistics(session, date_from, date_to, grid_id=grid_id)
