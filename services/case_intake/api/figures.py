"""Figures: the village board (村务公开) of a grid, public and without personal data, and the office's statistics."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.case_intake.api.common import STAFF, RuntimeDep
from services.case_intake.schemas import BoardCase, BoardStats, CaseStatistics
from services.case_intake.views import board, statistics
from shared.auth import CurrentPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import SessionDep
from shared.types import CivilDate, EntityId

router = APIRouter(tags=["case"])


@router.get(
    "/board/{grid_id}/cases",
    operation_id="board-cases",
    response_model=Page[BoardCase],
    responses=responses(404, 422),
)
async def board_cases(grid_id: EntityId, session: SessionDep, page: PageDep) -> Page[BoardCase]:
    """The public cases of a village (or any grid) and the grids below it, without personal data."""
    items, total = await board.board_cases(session, grid_id, page)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/board/{grid_id}/stats", operation_id="board-stats", response_model=BoardStats, responses=responses(404, 422)
)
async def board_stats(grid_id: EntityId, session: SessionDep, runtime: RuntimeDep) -> BoardStats:
    """Response, resolution and satisfaction rates and the median days to resolve, of the grid and below."""
    return await board.board_stats(session, grid_id, runtime.clock.now())


@router.get(
    "/statistics",
    operation_id="case-statistics",
    response_model=CaseStatistics,
    responses=responses(401, 403, 404, 422),
)
async def case_statistics(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    grid_id: Annotated[EntityId | None, Query(description="A grid: its figures and those of the grids below")] = None,
    township_id: Annotated[EntityId | None, Query(description="A township (instead of grid_id)")] = None,
    date_from: Annotated[CivilDate | None, Query(description="Filed from this day")] = None,
    date_to: Annotated[CivilDate | None, Query(description="… to this day, included")] = None,
) -> CaseStatistics:
    """For the office and station staff, in one answer: cases by status, kind and township; the response,
    resolution and satisfaction rates; the rated, the overdue and the median hours to resolve — of the cases
    filed in the period (days in Beijing time, both included)."""
    principal.require(*STAFF)
    return await statistics.case_statistics(
        session,
        runtime.clock.now(),
        grid_id=grid_id,
        township_id=township_id,
        date_from=date_from,
        date_to=date_to,
    )
