"""The coverage report (全覆盖): group grids nobody answers for, with deputies to suggest."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.grid import views
from services.grid.api.roles import OFFICE_OR_STAFF
from services.grid.schemas import CoverageReport
from shared.auth import CurrentPrincipal
from shared.pagination import PageDep
from shared.problems import responses
from shared.service import SessionDep
from shared.types import EntityId

router = APIRouter(tags=["grid"])


@router.get(
    "/coverage", operation_id="grid-coverage", response_model=CoverageReport, responses=responses(401, 403, 422)
)
async def coverage(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    township_id: Annotated[EntityId | None, Query(description="Only the groups of this township")] = None,
) -> CoverageReport:
    """Group grids nobody answers for (全覆盖), each with deputies to suggest: same district first, then nearest."""
    principal.require(*OFFICE_OR_STAFF)
    return await views.coverage(session, page, township_id=township_id)
